package trace

import (
	"bufio"
	"bytes"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Merge returns the events of all lists in one list ordered by time; events
// with the same time keep the order of the lists and within them.
func Merge(lists ...[]Event) []Event {
	var all []Event
	for _, l := range lists {
		all = append(all, l...)
	}
	slices.SortStableFunc(all, func(a, b Event) int { return cmp.Compare(a.Mono, b.Mono) })
	return all
}

// Millis returns the time of e in milliseconds since start, a reading of
// [Now], with three decimals, cut (not rounded) to the microsecond.
func Millis(e Event, start int64) string {
	d := e.Mono - start
	sign := ""
	if d < 0 {
		sign, d = "-", -d
	}
	return fmt.Sprintf("%s%d.%03d", sign, d/1e6, d%1e6/1e3)
}

// JSONLine is one line of what [WriteJSON] writes, for a reader of that
// output to decode with [encoding/json]: a detail's value is a string, a
// float64 or a bool, as [Schema] says.
type JSONLine struct {
	T      float64        `json:"t_ms"`
	Who    string         `json:"who"`
	Step   string         `json:"step"`
	Detail map[string]any `json:"detail"`
}

// WriteJSON writes the events to w as JSON lines, one object per event:
// {"t_ms":1.234,"who":"child","step":"waiting","detail":{"timeout":"30s"}},
// with t_ms the time in milliseconds since start, a reading of [Now], and
// each detail's value of the JSON type that [Schema] gives it.
func WriteJSON(w io.Writer, start int64, events []Event) error {
	bw := bufio.NewWriter(w)
	var b []byte
	for _, e := range events {
		b = append(b[:0], `{"t_ms":`...)
		b = append(b, Millis(e, start)...)
		b = append(b, `,"who":`...)
		b = appendString(b, e.Who)
		b = append(b, `,"step":`...)
		b = appendString(b, e.Step)
		b = append(b, `,"detail":{`...)
		for i, f := range e.Detail {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, f.Key)
			b = append(b, ':')
			b = appendValue(b, KindOf(e.Who, e.Step, f.Key), f.Value)
		}
		b = append(b, "}}\n"...)
		bw.Write(b)
	}
	return bw.Flush()
}

// WriteTable writes the events to w as an aligned table with a header line:
// the time in milliseconds since start (a reading of [Now]), right-aligned,
// who, the step and its details as key=value, a value quoted if it is empty
// or has spaces, quotes or '='.
func WriteTable(w io.Writer, start int64, events []Event) error {
	times := make([]string, len(events))
	width := len("time ms")
	for i, e := range events {
		times[i] = Millis(e, start)
		width = max(width, len(times[i]))
	}
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "%*s\twho\tstep\tdetails\n", width, "time ms")
	for i, e := range events {
		fmt.Fprintf(tw, "%*s\t%s\t%s\t%s\n", width, times[i], e.Who, e.Step, details(e.Detail))
	}
	tw.Flush()
	// A step without details leaves the padding of its step column.
	var out bytes.Buffer
	for line := range bytes.Lines(buf.Bytes()) {
		out.Write(bytes.TrimRight(line, " \n"))
		out.WriteByte('\n')
	}
	_, err := w.Write(out.Bytes())
	return err
}

func details(d []Field) string {
	var b strings.Builder
	for i, f := range d {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(f.Key)
		b.WriteByte('=')
		if f.Value == "" || strings.ContainsAny(f.Value, " \t\"'=") {
			b.WriteString(strconv.Quote(f.Value))
		} else {
			b.WriteString(f.Value)
		}
	}
	return b.String()
}
