package trace

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// Prefix starts every trace line a child writes.
const Prefix = "handoff-trace: "

// Limits of a trace line.
const (
	MaxLine      = 4096 // bytes in a line, without its newline
	maxName      = 32   // bytes in a step name or detail key
	maxValue     = 512  // bytes in a detail value
	maxDetail    = 16   // fields in a detail
	memberMono   = "mono_ns"
	memberStep   = "step"
	memberDetail = "detail"
)

// AppendLine appends e as a trace line, with its newline, to b. e.Who is not
// written: the reader knows whose lines it reads. It returns an error if e
// would not parse back: a bad step name, detail key or value, or too many
// fields.
func AppendLine(b []byte, e Event) ([]byte, error) {
	if err := check(e); err != nil {
		return b, err
	}
	b = append(b, Prefix...)
	b = append(b, `{"`+memberMono+`":`...)
	b = strconv.AppendInt(b, e.Mono, 10)
	b = append(b, `,"`+memberStep+`":`...)
	b = appendString(b, e.Step)
	b = append(b, `,"`+memberDetail+`":`...)
	b = appendDetail(b, e.Detail)
	b = append(b, "}\n"...)
	if len(b) > MaxLine+1 {
		return b, fmt.Errorf("trace: step %s: line longer than %d bytes", e.Step, MaxLine)
	}
	return b, nil
}

// WriteLine writes e to w as one trace line, in one Write call.
func WriteLine(w io.Writer, e Event) error {
	b, err := AppendLine(nil, e)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// ParseLine parses a trace line written by [WriteLine], with or without its
// newline (and a carriage return before it). The event's Who is [Child]. It
// returns an error for anything but a well-formed trace line, as the package
// documentation describes it.
func ParseLine(line []byte) (Event, error) {
	line = bytes.TrimSuffix(line, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	body, ok := bytes.CutPrefix(line, []byte(Prefix))
	switch {
	case !ok:
		return Event{}, errors.New("trace: not a trace line")
	case bytes.ContainsAny(line, "\r\n"):
		return Event{}, errors.New("trace: more than one line")
	case len(line) > MaxLine:
		return Event{}, fmt.Errorf("trace: line longer than %d bytes", MaxLine)
	case !utf8.Valid(body):
		return Event{}, errors.New("trace: line is not UTF-8")
	}
	e, err := parseBody(body)
	if err != nil {
		return Event{}, fmt.Errorf("trace: bad trace line: %w", err)
	}
	return e, nil
}

func parseBody(body []byte) (Event, error) {
	e := Event{Who: Child}
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	if err := delim(d, '{'); err != nil {
		return e, err
	}
	seen := map[string]bool{}
	for d.More() {
		key, err := str(d)
		if err != nil {
			return e, err
		}
		if seen[key] {
			return e, fmt.Errorf("member %q repeated", key)
		}
		seen[key] = true
		if err := e.member(d, key); err != nil {
			return e, err
		}
	}
	if err := delim(d, '}'); err != nil {
		return e, err
	}
	if _, err := d.Token(); err != io.EOF {
		return e, errors.New("data after the object")
	}
	if !seen[memberMono] || !seen[memberStep] {
		return e, fmt.Errorf("%s or %s missing", memberMono, memberStep)
	}
	return e, nil
}

// member reads the value of the member key into e.
func (e *Event) member(d *json.Decoder, key string) error {
	var err error
	switch key {
	case memberMono:
		t, err := d.Token()
		if err != nil {
			return err
		}
		n, ok := t.(json.Number)
		if !ok {
			return fmt.Errorf("%s is not a number", memberMono)
		}
		// ParseInt rejects fractions, exponents and signs other than '-'.
		v, err := strconv.ParseInt(string(n), 10, 64)
		if err != nil || v <= 0 {
			return fmt.Errorf("%s %s is not a positive integer", memberMono, n)
		}
		e.Mono = v
	case memberStep:
		if e.Step, err = str(d); err != nil {
			return err
		}
		if !validName(e.Step, '-') {
			return fmt.Errorf("bad step name %q", e.Step)
		}
	case memberDetail:
		e.Detail, err = detail(d)
		return err
	default:
		return fmt.Errorf("unknown member %q", key)
	}
	return nil
}

func detail(d *json.Decoder) ([]Field, error) {
	if err := delim(d, '{'); err != nil {
		return nil, err
	}
	var fields []Field // nil if empty, as when the member is left out
	for d.More() {
		k, err := str(d)
		if err != nil {
			return nil, err
		}
		v, err := str(d)
		if err != nil {
			return nil, fmt.Errorf("detail %q: %w", k, err)
		}
		f := Field{k, v}
		if err := checkField(f); err != nil {
			return nil, err
		}
		for _, g := range fields {
			if g.Key == k {
				return nil, fmt.Errorf("detail %q repeated", k)
			}
		}
		if len(fields) == maxDetail {
			return nil, fmt.Errorf("more than %d details", maxDetail)
		}
		fields = append(fields, f)
	}
	return fields, delim(d, '}')
}

func delim(d *json.Decoder, want json.Delim) error {
	t, err := d.Token()
	if err != nil {
		return err
	}
	if t != want {
		return fmt.Errorf("got %v, want %v", t, want)
	}
	return nil
}

func str(d *json.Decoder) (string, error) {
	t, err := d.Token()
	if err != nil {
		return "", err
	}
	s, ok := t.(string)
	if !ok {
		return "", fmt.Errorf("got %v, want a string", t)
	}
	return s, nil
}

func check(e Event) error {
	if e.Mono <= 0 {
		return fmt.Errorf("trace: step %s: time %d is not positive", e.Step, e.Mono)
	}
	if !validName(e.Step, '-') {
		return fmt.Errorf("trace: bad step name %q", e.Step)
	}
	if len(e.Detail) > maxDetail {
		return fmt.Errorf("trace: step %s: more than %d details", e.Step, maxDetail)
	}
	for i, f := range e.Detail {
		if err := checkField(f); err != nil {
			return fmt.Errorf("trace: step %s: %w", e.Step, err)
		}
		for _, g := range e.Detail[:i] {
			if g.Key == f.Key {
				return fmt.Errorf("trace: step %s: detail %q repeated", e.Step, f.Key)
			}
		}
	}
	return nil
}

func checkField(f Field) error {
	if !validName(f.Key, '_') {
		return fmt.Errorf("bad detail key %q", f.Key)
	}
	if len(f.Value) > maxValue {
		return fmt.Errorf("detail %q: value longer than %d bytes", f.Key, maxValue)
	}
	if !utf8.ValidString(f.Value) {
		return fmt.Errorf("detail %q: value is not UTF-8", f.Key)
	}
	for _, r := range f.Value {
		if r < 0x20 || r == 0x7f || 0x80 <= r && r < 0xa0 {
			return fmt.Errorf("detail %q: control character in value", f.Key)
		}
	}
	return nil
}

// validName reports whether s is a step name (sep '-') or a detail key (sep
// '_'): a lowercase ASCII letter, then letters, digits and sep, at most
// maxName bytes.
func validName(s string, sep byte) bool {
	if s == "" || len(s) > maxName || !('a' <= s[0] && s[0] <= 'z') {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == sep) {
			return false
		}
	}
	return true
}

// appendString appends s as a JSON string. s is valid UTF-8 (check).
func appendString(b []byte, s string) []byte {
	j, _ := json.Marshal(s) // a string always marshals
	return append(b, j...)
}

func appendDetail(b []byte, d []Field) []byte {
	b = append(b, '{')
	for i, f := range d {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, f.Key)
		b = append(b, ':')
		b = appendString(b, f.Value)
	}
	return append(b, '}')
}
