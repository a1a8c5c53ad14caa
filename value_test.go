package handoff

// ParseValue and FormatValue: the strict syntax of a handle value.

import (
	"errors"
	"runtime"
	"testing"
)

func TestParseValue(t *testing.T) {
	tests := []struct {
		in   string
		want uintptr // 0: an error wrapping ErrBadValue
	}{
		{"", 0},
		{"abc", 0},
		{"-1", 0},
		{"+4", 0},
		{"0", 0},
		{"00", 0},
		{"0x", 0},
		{"0X", 0},
		{"0x0", 0},
		{"x4", 0},
		{"4294967296", 0},
		{"0x100000000", 0},
		{"18446744073709551615", 0},
		{" 42", 0},
		{"42 ", 0},
		{"4 2", 0},
		{"42\n", 0},
		{"0xFFFFFFFF", 0},
		{"0xffffffff", 0},
		{"4294967295", 0},
		{"1_000", 0},
		{"0x1_0", 0},
		{"012", 0},
		{"4.0", 0},
		{"４", 0}, // fullwidth digit
		{"4", 4},
		{"12", 12},
		{"0x10", 16},
		{"0X1c", 28},
		{"0x0000001C", 28},
		{"4294967292", 4294967292},
		{"0xFFFFFFFC", 0xFFFFFFFC},
	}
	if runtime.GOOS != "windows" {
		tests = append(tests, []struct {
			in   string
			want uintptr
		}{{"3", 3}, {"7", 7}, {"0x7", 7}}...)
	} else {
		tests = append(tests, []struct {
			in   string
			want uintptr
		}{{"3", 0}, {"6", 0}, {"0x45", 0}}...)
	}
	for _, tt := range tests {
		got, err := ParseValue(tt.in)
		if tt.want == 0 {
			if !errors.Is(err, ErrBadValue) {
				t.Errorf("ParseValue(%q) = %d, %v; want an error wrapping ErrBadValue", tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseValue(%q) = %d, %v; want %d, nil", tt.in, got, err, tt.want)
		}
	}
}

func TestFormatValueRoundTrip(t *testing.T) {
	for _, v := range []uintptr{4, 8, 100, 1 << 20, 4294967292} {
		s := FormatValue(v)
		got, err := ParseValue(s)
		if err != nil || got != v {
			t.Errorf("ParseValue(FormatValue(%d)) = %d, %v; want %d, nil", v, got, err, v)
		}
	}
}

func FuzzParseValue(f *testing.F) {
	for _, s := range []string{"", "4", "0x10", "-1", "4294967296", " 42", "0xFFFFFFFF"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseValue(s)
		if err != nil {
			if !errors.Is(err, ErrBadValue) {
				t.Fatalf("ParseValue(%q) error %v does not wrap ErrBadValue", s, err)
			}
			return
		}
		if v == 0 || v > 0xFFFFFFFE || v%valueAlign != 0 {
			t.Fatalf("ParseValue(%q) = %d, accepted a value out of range", s, v)
		}
		if s != FormatValue(v) && !(len(s) > 2 && (s[:2] == "0x" || s[:2] == "0X")) {
			t.Fatalf("ParseValue(%q) = %d, but the decimal spelling is %q", s, v, FormatValue(v))
		}
	})
}
