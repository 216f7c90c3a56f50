module github.com/ppsppd/ppsppd

go 1.26
