package handoff

import (
	"fmt"
	"strconv"
	"unicode/utf8"
)

// ParseValue parses a handle value as a child receives it on its command
// line: a decimal number, as the classic sample writes it, or a hexadecimal
// number with a 0x or 0X prefix. The parse is strict: no sign, no spaces, no
// leading zeros in decimal, no underscores. The value must not be 0, must fit
// in 32 bits, and must not be 0xFFFFFFFF (INVALID_HANDLE_VALUE). On Windows,
// where the low two bits of a handle value are ignored by the system, the
// value must also be a multiple of 4, so that only one spelling names a
// handle.
//
// Errors wrap [ErrBadValue].
func ParseValue(s string) (uintptr, error) {
	v, err := parseValue(s)
	if err != nil {
		return 0, fmt.Errorf("handoff: value %q: %w: %s", s, ErrBadValue, err)
	}
	return v, nil
}

func parseValue(s string) (uintptr, error) {
	digits, base := s, 10
	if len(s) >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		digits, base = s[2:], 16
	}
	if digits == "" {
		return 0, errText("no digits")
	}
	for i, r := range digits {
		if r >= utf8.RuneSelf || !isDigit(digits[i], base) {
			return 0, errText(fmt.Sprintf("invalid character %q", r))
		}
	}
	if base == 10 && len(digits) > 1 && digits[0] == '0' {
		return 0, errText("leading zero")
	}
	n, err := strconv.ParseUint(digits, base, 32)
	if err != nil {
		return 0, errText("does not fit in 32 bits")
	}
	switch {
	case n == 0:
		return 0, errText("zero")
	case n == 0xFFFFFFFF:
		return 0, errText("INVALID_HANDLE_VALUE")
	case valueAlign > 1 && n%valueAlign != 0:
		return 0, errText(fmt.Sprintf("not a multiple of %d", valueAlign))
	}
	return uintptr(n), nil
}

func isDigit(c byte, base int) bool {
	switch {
	case '0' <= c && c <= '9':
		return true
	case base == 16 && ('a' <= c && c <= 'f' || 'A' <= c && c <= 'F'):
		return true
	}
	return false
}

// FormatValue formats a handle value the way the classic sample expects it
// on a command line: in decimal.
func FormatValue(v uintptr) string {
	return strconv.FormatUint(uint64(v), 10)
}

type errText string

func (e errText) Error() string { return string(e) }
