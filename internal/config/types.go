package config

import (
	"fmt"
	"reflect"
	"strings"
	"time"
)

// checkTypes walks a decoded TOML document next to the Config type and reports the first
// value whose TOML type cannot fill its field, naming the key and the type it wants. The
// decoder's own message names the Go struct field (config.Seed.ChunkSize), which means
// nothing to someone editing the file. Unknown keys are left to the strict decoder.
func checkTypes(doc map[string]any, t reflect.Type, prefix string) error {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
		if name == "" || name == "-" {
			continue
		}
		v, ok := doc[name]
		if !ok {
			continue
		}
		key := prefix + name
		if err := checkValue(key, v, f.Type); err != nil {
			return err
		}
	}
	return nil
}

func checkValue(key string, v any, t reflect.Type) error {
	mismatch := func() error {
		return fmt.Errorf("%s: want %s, got %s", key, wantName(t), tomlName(v))
	}
	switch t.Kind() {
	case reflect.Pointer: // an optional value: the type it points to
		return checkValue(key, v, t.Elem())
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			return mismatch()
		}
		return checkTypes(m, t, key+".")
	case reflect.Slice:
		items, ok := v.([]any)
		if !ok {
			return mismatch()
		}
		for i, item := range items {
			if err := checkValue(fmt.Sprintf("%s[%d]", key, i), item, t.Elem()); err != nil {
				return err
			}
		}
		return nil
	case reflect.String:
		_, ok := v.(string)
		if !ok {
			return mismatch()
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			return mismatch()
		}
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Uint, reflect.Uint64, reflect.Uint32:
		if _, ok := v.(int64); !ok {
			return mismatch()
		}
	case reflect.Float64, reflect.Float32:
		switch v.(type) {
		case float64, int64:
		default:
			return mismatch()
		}
	}
	return nil
}

// wantName says in TOML's words what a field of type t accepts.
func wantName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Pointer:
		return wantName(t.Elem())
	case reflect.Struct:
		return "a table"
	case reflect.Slice:
		return "an array of " + strings.TrimPrefix(strings.TrimPrefix(wantName(t.Elem()), "a "), "an ") + "s"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean (true or false)"
	case reflect.Float64, reflect.Float32:
		return "a number"
	default:
		return "an integer"
	}
}

// tomlName names the TOML type of a value decoded into an interface.
func tomlName(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "a table"
	case time.Time:
		return "a date-time"
	default:
		return fmt.Sprintf("a %T", v) // local dates and times
	}
}
