package trace

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestNow(t *testing.T) {
	a, err := Now()
	if err != nil {
		t.Fatalf("Now() = %v", err)
	}
	b, err := Now()
	if err != nil {
		t.Fatalf("Now() = %v", err)
	}
	if a <= 0 || b < a {
		t.Errorf("Now() = %d, then %d; want positive and not decreasing", a, b)
	}
}

var goodEvents = []Event{
	{Mono: 1, Who: Child, Step: "start"},
	{Mono: 1<<63 - 1, Who: Child, Step: "event-verified", Detail: Fields("value", 3, "type", "eventfd", "inherited", true)},
	{Mono: 42, Who: Child, Step: "exiting", Detail: Fields("code", 6, "error", `handoff: value "x\\y": 'bad' — ünïcödé`)},
	{Mono: 42, Who: Child, Step: "a", Detail: Fields("k", "")},
	{Mono: 42, Who: Child, Step: strings.Repeat("a", 32), Detail: Fields(strings.Repeat("k", 32), strings.Repeat("v", 512))},
}

func TestLineRoundTrip(t *testing.T) {
	for _, e := range goodEvents {
		b, err := AppendLine(nil, e)
		if err != nil {
			t.Fatalf("AppendLine(%+v) = %v", e, err)
		}
		if !bytes.HasPrefix(b, []byte(Prefix)) || !bytes.HasSuffix(b, []byte("\n")) || bytes.Count(b, []byte("\n")) != 1 {
			t.Errorf("AppendLine(%+v) = %q, want one line with the prefix", e, b)
		}
		got, err := ParseLine(b)
		if err != nil {
			t.Fatalf("ParseLine(%q) = %v", b, err)
		}
		if !reflect.DeepEqual(got, e) {
			t.Errorf("ParseLine(%q) = %+v, want %+v", b, got, e)
		}
	}
}

func TestParseLine(t *testing.T) {
	tests := []struct {
		line string
		want Event
	}{
		{`handoff-trace: {"mono_ns":5,"step":"waiting","detail":{"timeout":"30s"}}`,
			Event{Mono: 5, Who: Child, Step: "waiting", Detail: []Field{{"timeout", "30s"}}}},
		{"handoff-trace: {\"mono_ns\":5,\"step\":\"woke\"}\r\n",
			Event{Mono: 5, Who: Child, Step: "woke"}},
		{`handoff-trace: {"step":"x","mono_ns":7,"detail":{}}`,
			Event{Mono: 7, Who: Child, Step: "x"}},
		{`handoff-trace: { "mono_ns" : 7 , "step" : "x" , "detail" : { "b" : "2" , "a" : "1" } } `,
			Event{Mono: 7, Who: Child, Step: "x", Detail: []Field{{"b", "2"}, {"a", "1"}}}},
		{`handoff-trace: {"mono_ns":7,"step":"x","detail":{"k":"\u00e9"}}`,
			Event{Mono: 7, Who: Child, Step: "x", Detail: []Field{{"k", "é"}}}},
	}
	for _, tt := range tests {
		got, err := ParseLine([]byte(tt.line))
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseLine(%q) = %+v, %v; want %+v", tt.line, got, err, tt.want)
		}
	}
}

// badLines are lines that ParseLine must refuse, one rule of the form
// broken in each.
var badLines = func() []string {
	many := make([]string, 17)
	for i := range many {
		many[i] = fmt.Sprintf(`"k%d":"v"`, i)
	}
	return []string{
		"",
		"\n",
		"[CHILD] Event signaled",
		"handoff-trace:",
		"handoff-trace: ",
		"handoff-trace:{\"mono_ns\":1,\"step\":\"x\"}",
		" handoff-trace: {\"mono_ns\":1,\"step\":\"x\"}",
		`handoff-trace: {}`,
		`handoff-trace: []`,
		`handoff-trace: null`,
		`handoff-trace: "x"`,
		`handoff-trace: {"step":"x"}`,
		`handoff-trace: {"mono_ns":1}`,
		`handoff-trace: {"mono_ns":0,"step":"x"}`,
		`handoff-trace: {"mono_ns":-1,"step":"x"}`,
		`handoff-trace: {"mono_ns":1.5,"step":"x"}`,
		`handoff-trace: {"mono_ns":1e3,"step":"x"}`,
		`handoff-trace: {"mono_ns":"1","step":"x"}`,
		`handoff-trace: {"mono_ns":9223372036854775808,"step":"x"}`,
		`handoff-trace: {"mono_ns":01,"step":"x"}`,
		`handoff-trace: {"mono_ns":1,"step":""}`,
		`handoff-trace: {"mono_ns":1,"step":"Start"}`,
		`handoff-trace: {"mono_ns":1,"step":"two words"}`,
		`handoff-trace: {"mono_ns":1,"step":"under_score"}`,
		`handoff-trace: {"mono_ns":1,"step":"-x"}`,
		`handoff-trace: {"mono_ns":1,"step":"` + strings.Repeat("a", 33) + `"}`,
		`handoff-trace: {"mono_ns":1,"step":1}`,
		`handoff-trace: {"mono_ns":1,"step":"x","who":"parent"}`,
		`handoff-trace: {"mono_ns":1,"step":"x","mono_ns":2}`,
		`handoff-trace: {"mono_ns":1,"step":"x","detail":null}`,
		`handoff-trace: {"mono_ns":1,"step":"x","detail":[]}`,
		`handoff-trace: {"mono_ns":1,"step":"x","detail":{"k":1}}`,
		`handoff-trace: {"mono_ns":1,"step":"x","detail":{"k":true}}`,
		`handoff-trace: {"mono_ns":1,"step":"x","detail":{"k":null}}`,
		`handoff-trace: {"mono_ns":1,"step":"x","detail":{"k":{}}}`,
		`handoff-trace: {"mono_ns":1,"step":"x","detail":{"k":"a","k":"b"}}`,
		`handoff-trace: {"mono_ns":1,"step":"x","detail":{"K":"a"}}`,
		`handoff-trace: {"mono_ns":1,"step":"x","detail":{"a-b":"a"}}`,
		`handoff-trace: {"mono_ns":1,"step":"x","detail":{"":"a"}}`,
		`handoff-trace: {"mono_ns":1,"step":"x","detail":{"k":"a\nb"}}`,
		`handoff-trace: {"mono_ns":1,"step":"x","detail":{"k":"a\u0000b"}}`,
		`handoff-trace: {"mono_ns":1,"step":"x","detail":{"k":"a\u009bb"}}`,
		`handoff-trace: {"mono_ns":1,"step":"x","detail":{"k":"` + strings.Repeat("v", 513) + `"}}`,
		`handoff-trace: {"mono_ns":1,"step":"x","detail":{` + strings.Join(many, ",") + `}}`,
		`handoff-trace: {"mono_ns":1,"step":"x"} x`,
		`handoff-trace: {"mono_ns":1,"step":"x"}{}`,
		`handoff-trace: {"mono_ns":1,"step":"x"`,
		`handoff-trace: {"mono_ns":1,"step":"x",}`,
		`handoff-trace: {"mono_ns":1 "step":"x"}`,
		`handoff-trace: {"mono_ns":1,"step":"x","detail":{"k":"v",}}`,
		`handoff-trace: {"mono_ns":1,"step":"x","detail":{"k" "v"}}`,
		`handoff-trace: {"mono_ns":1,"step":"x","detail":{"k":"v"}`,
		"handoff-trace: {\"mono_ns\":1,\"step\":\"x\",\"detail\":{\"k\":\"\xff\"}}",
		"handoff-trace: {\"mono_ns\":1,\"step\":\"x\"}\n\n",
		`handoff-trace: {"mono_ns":1,"step":"x","detail":{"k":"` + strings.Repeat("v", MaxLine) + `"}}`,
	}
}()

func TestParseLineBad(t *testing.T) {
	for _, line := range badLines {
		if e, err := ParseLine([]byte(line)); err == nil {
			t.Errorf("ParseLine(%q) = %+v, want an error", line, e)
		}
	}
}

func TestAppendLineBad(t *testing.T) {
	bad := []Event{
		{Mono: 0, Step: "x"},
		{Mono: 1, Step: "X"},
		{Mono: 1, Step: "x", Detail: Fields("K", "v")},
		{Mono: 1, Step: "x", Detail: Fields("k", "a\nb")},
		{Mono: 1, Step: "x", Detail: Fields("k", "\xff")},
		{Mono: 1, Step: "x", Detail: Fields("k", 1, "k", 2)},
		{Mono: 1, Step: "x", Detail: Fields("k", strings.Repeat("v", 513))},
	}
	for _, e := range bad {
		if b, err := AppendLine(nil, e); err == nil {
			t.Errorf("AppendLine(%+v) = %q, want an error", e, b)
		}
	}
}

// FuzzParseLine checks that what ParseLine accepts writes back with
// AppendLine and parses the same again, in any member order and spacing,
// and that each malformed variant of it, which breaks one rule of the
// line's form, is refused.
func FuzzParseLine(f *testing.F) {
	for _, e := range goodEvents {
		b, _ := AppendLine(nil, e)
		f.Add(b)
	}
	f.Add([]byte(`handoff-trace: {"mono_ns":1,"step":"x","detail":{"k":"v"}} x`))
	f.Add([]byte(`handoff-trace: {"mono_ns":1,"step":"x","detail":{"k":{"k":["v"]}}}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		e, err := ParseLine(line)
		if err != nil {
			return
		}
		b, err := AppendLine(nil, e)
		if err != nil {
			t.Fatalf("ParseLine(%q) = %+v, which AppendLine refuses: %v", line, e, err)
		}
		for _, good := range sameLines(e) {
			if e2, err := ParseLine([]byte(good)); err != nil || !reflect.DeepEqual(e2, e) {
				t.Fatalf("ParseLine(%q) = %+v, %v; want %+v", good, e2, err, e)
			}
		}
		for _, bad := range malformedLines(e) {
			if e2, err := ParseLine([]byte(bad)); err == nil {
				t.Fatalf("ParseLine(%q) = %+v, want an error: a malformed variant of %q", abbrev(bad), e2, b)
			}
		}
	})
}

// lineParts returns the members of the line AppendLine writes for e, and
// the fields of its detail without the braces.
func lineParts(e Event) (mono, step, detail string) {
	mono = `"mono_ns":` + strconv.FormatInt(e.Mono, 10)
	step = `"step":` + string(appendString(nil, e.Step))
	d := appendDetail(nil, e.Detail)
	return mono, step, string(d[1 : len(d)-1])
}

// line returns a trace line of the members given, in order.
func line(members ...string) string {
	return Prefix + "{" + strings.Join(members, ",") + "}"
}

// sameLines returns lines that must parse as e: AppendLine's, and others
// that differ only in member order, spacing and line end.
func sameLines(e Event) []string {
	mono, step, detail := lineParts(e)
	d := `"detail":{` + detail + "}"
	return []string{
		line(mono, step, d) + "\n",
		line(mono, step, d) + "\r\n",
		line(d, step, mono),
		Prefix + "{ " + mono + " , " + step + " , " + d + " } ",
	}
}

// malformedLines returns variants of e's trace line that each break one rule
// of the line's form, for ParseLine to refuse.
func malformedLines(e Event) []string {
	mono, step, detail := lineParts(e)
	d := `"detail":{` + detail + "}"
	good := line(mono, step, d)
	body := strings.TrimPrefix(good, Prefix)
	sep := ""
	if detail != "" {
		sep = ","
	}
	bad := []string{
		// Not one whole trace line.
		body, " " + good, "handoff-trace:" + body, strings.ToUpper(Prefix) + body,
		good + "\n" + good, good + "\n\n", good + "\r\r\n", good[:len(good)-1], good + "x", good + "{}",
		Prefix + "{" + strings.Repeat(" ", MaxLine) + body[1:],
		Prefix + "[" + body + "]",
		// Members missing, repeated or unknown.
		line(step, d), line(mono, d), line(mono, step, d, step), line(mono, step, d, `"who":"parent"`),
		line(mono, step, d) + ",", line(mono, step, d, ""), Prefix + "{" + mono + " " + step + "," + d + "}",
		// A bad detail.
		line(mono, step, `"detail":null`), line(mono, step, `"detail":[]`), line(mono, step, `"detail":"x"`),
		line(mono, step, `"detail":{`+detail+`,}`), line(mono, step, `"detail":{`+detail),
		line(mono, step, `"detail":{`+detail+sep+`"zz" "v"}`),
		line(mono, step, `"detail":{`+detail+sep+"\"zz\":\"\xff\"}"),
		line(mono, step, `"detail":{`+detail+sep+`"zz":"`+strings.Repeat("v", maxValue+1)+`"}`),
	}
	for _, m := range []string{"0", "-1", "1.5", "1e3", `"1"`, "01", "+1", "9223372036854775808", "null", "[1]"} {
		bad = append(bad, line(`"mono_ns":`+m, step, d))
	}
	for _, s := range []string{`""`, `"X"`, `"a b"`, `"a_b"`, `"-a"`, `"1a"`, `"é"`, `"` + strings.Repeat("a", maxName+1) + `"`, "1", "null", `["a"]`} {
		bad = append(bad, line(mono, `"step":`+s, d))
	}
	for _, f := range []string{`"K":"v"`, `"a-b":"v"`, `"":"v"`, `"1a":"v"`, `"zz":1`, `"zz":true`, `"zz":null`, `"zz":{}`, `"zz":["v"]`,
		`"zz":"a\nb"`, `"zz":"\u0000"`, `"zz":"\u007f"`, `"zz":"\u009b"`, `"` + strings.Repeat("k", maxName+1) + `":"v"`} {
		bad = append(bad, line(mono, step, `"detail":{`+detail+sep+f+`}`))
	}
	// A detail key repeated, and one detail too many.
	dup := `"zz":"a","zz":"b"`
	if len(e.Detail) > 0 {
		dup = detail + "," + string(appendString(nil, e.Detail[0].Key)) + `:"b"`
	}
	more := []string{}
	if detail != "" {
		more = append(more, detail)
	}
	for i := len(e.Detail); i <= maxDetail; i++ {
		more = append(more, fmt.Sprintf(`"zz%d":"v"`, i))
	}
	return append(bad, line(mono, step, `"detail":{`+dup+`}`), line(mono, step, `"detail":{`+strings.Join(more, ",")+`}`))
}

func TestClean(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"a\nb\x00c\x7f", "a\uFFFDb\uFFFDc\uFFFD"},
		{"\xffé", "\uFFFDé"},
		{strings.Repeat("é", 300), strings.Repeat("é", 256)},
	}
	for _, tt := range tests {
		got := Clean(tt.in)
		if got != tt.want {
			t.Errorf("Clean(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if err := checkField(Field{"k", got}); err != nil {
			t.Errorf("Clean(%q) = %q: %v", tt.in, got, err)
		}
	}
}

func TestCollector(t *testing.T) {
	long := strings.Repeat("x", maxBuffered+10) + "\n"
	longTrace := Prefix + strings.Repeat("y", maxBuffered+10) + "\n"
	input := "[CHILD] hello\n" +
		`handoff-trace: {"mono_ns":10,"step":"start","detail":{"pid":"7"}}` + "\n" +
		"handoff-trace: garbage\n" +
		long +
		"handoff-trace: {\"mono_ns\":20,\"step\":\"waiting\"}\r\n" +
		longTrace +
		"no newline at the end, but a trace line after a long one still parses: " +
		"\n" + `handoff-trace: {"mono_ns":30,"step":"exiting"}`
	wantForward := "[CHILD] hello\n" +
		"handoff-trace: garbage\n" +
		long +
		longTrace +
		"no newline at the end, but a trace line after a long one still parses: \n"
	wantEvents := []Event{
		{Mono: 10, Who: Child, Step: "start", Detail: []Field{{"pid", "7"}}},
		{Mono: 20, Who: Child, Step: "waiting"},
		{Mono: 30, Who: Child, Step: "exiting"},
	}
	for _, chunk := range []int{1, 7, 4096, len(input)} {
		var fwd bytes.Buffer
		c := NewCollector(&fwd)
		for s := input; len(s) > 0; {
			n := min(chunk, len(s))
			if m, err := c.Write([]byte(s[:n])); m != n || err != nil {
				t.Fatalf("Write = %d, %v; want %d, nil", m, err, n)
			}
			s = s[n:]
		}
		c.Close()
		if fwd.String() != wantForward {
			t.Errorf("chunks of %d: forwarded %q, want %q", chunk, abbrev(fwd.String()), abbrev(wantForward))
		}
		if got := c.Events(); !reflect.DeepEqual(got, wantEvents) {
			t.Errorf("chunks of %d: events %+v, want %+v", chunk, got, wantEvents)
		}
		if bad := c.Bad(); len(bad) != 2 {
			t.Errorf("chunks of %d: bad lines %v, want 2", chunk, bad)
		}
	}
}

func abbrev(s string) string {
	if len(s) < 200 {
		return s
	}
	return s[:100] + "..." + s[len(s)-100:]
}

var outputEvents = []Event{
	{Mono: 1_000_000, Who: Parent, Step: "start", Detail: Fields("pid", 10)},
	{Mono: 1_250_500, Who: Parent, Step: "event-set"},
	{Mono: 3_000_001, Who: Child, Step: "exiting", Detail: Fields("code", 6, "error", `parent "gone"`)},
	{Mono: 1_234_000_000, Who: Parent, Step: "cleanup-done", Detail: Fields("empty", "")},
}

func TestWriteJSON(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJSON(&b, 1_000_000, outputEvents); err != nil {
		t.Fatal(err)
	}
	want := `{"t_ms":0.000,"who":"parent","step":"start","detail":{"pid":10}}
{"t_ms":0.250,"who":"parent","step":"event-set","detail":{}}
{"t_ms":2.000,"who":"child","step":"exiting","detail":{"code":6,"error":"parent \"gone\""}}
{"t_ms":1233.000,"who":"parent","step":"cleanup-done","detail":{"empty":""}}
`
	if b.String() != want {
		t.Errorf("WriteJSON:\n%s\nwant:\n%s", b.String(), want)
	}
	lines := strings.Split(want, "\n")
	line := lines[len(lines)-2]
	var got JSONLine
	if err := json.Unmarshal([]byte(line), &got); err != nil {
		t.Fatalf("json.Unmarshal(%q) = %v", line, err)
	}
	if w := (JSONLine{T: 1233, Who: "parent", Step: "cleanup-done", Detail: map[string]any{"empty": ""}}); !reflect.DeepEqual(got, w) {
		t.Errorf("json.Unmarshal(%q) = %+v, want %+v", line, got, w)
	}
}

// TestWriteJSONKinds: a detail's value is of the JSON type Schema gives
// it, when it is one; else, as a detail not in Schema, a string.
func TestWriteJSONKinds(t *testing.T) {
	events := []Event{
		{Mono: 2, Who: "child3", Step: "lifeline-verified", Detail: Fields("value", 5, "type", "pidfd", "inherited", true, "ppid", 42)},
		{Mono: 3, Who: Parent, Step: "child-started", Detail: Fields("pid", "x1", "took_ms", "0.667", "extra", 1)},
		{Mono: 4, Who: Child, Step: "event-verified", Detail: Fields("value", "-0", "inherited", "yes")},
		{Mono: 5, Who: Parent, Step: "wake-spread", Detail: Fields("woke", 3, "first_ms", "1e3", "spread_ms", "01")},
	}
	var b bytes.Buffer
	if err := WriteJSON(&b, 1, events); err != nil {
		t.Fatal(err)
	}
	want := `{"t_ms":0.000,"who":"child3","step":"lifeline-verified","detail":{"value":5,"type":"pidfd","inherited":true,"ppid":42}}
{"t_ms":0.000,"who":"parent","step":"child-started","detail":{"pid":"x1","took_ms":0.667,"extra":"1"}}
{"t_ms":0.000,"who":"child","step":"event-verified","detail":{"value":-0,"inherited":"yes"}}
{"t_ms":0.000,"who":"parent","step":"wake-spread","detail":{"woke":3,"first_ms":"1e3","spread_ms":"01"}}
`
	if b.String() != want {
		t.Errorf("WriteJSON:\n%s\nwant:\n%s", b.String(), want)
	}
	for line := range strings.Lines(b.String()) {
		if !json.Valid([]byte(line)) {
			t.Errorf("not JSON: %s", line)
		}
	}
}

func TestWriteTable(t *testing.T) {
	var b bytes.Buffer
	if err := WriteTable(&b, 1_000_000, outputEvents); err != nil {
		t.Fatal(err)
	}
	want := ` time ms  who     step          details
   0.000  parent  start         pid=10
   0.250  parent  event-set
   2.000  child   exiting       code=6 error="parent \"gone\""
1233.000  parent  cleanup-done  empty=""
`
	if b.String() != want {
		t.Errorf("WriteTable:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestMerge(t *testing.T) {
	p := []Event{{Mono: 1, Step: "a"}, {Mono: 5, Step: "c"}, {Mono: 9, Step: "e"}}
	c := []Event{{Mono: 5, Step: "d"}, {Mono: 2, Step: "b"}}
	var got []string
	for _, e := range Merge(p, c) {
		got = append(got, e.Step)
	}
	if want := []string{"a", "b", "c", "d", "e"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Merge = %q, want %q", got, want)
	}
}

func TestRecorder(t *testing.T) {
	r := NewRecorder(Parent)
	e, err := r.Add("start", "pid", 1)
	if err != nil {
		t.Fatal(err)
	}
	r.AddAt(e.Mono+1, "next")
	got := r.Events()
	if len(got) != 2 || got[0].Who != Parent || got[0].Step != "start" || got[1].Mono != e.Mono+1 {
		t.Errorf("Events() = %+v", got)
	}
	if v, ok := got[0].Get("pid"); !ok || v != "1" {
		t.Errorf("Get(pid) = %q, %v; want 1, true", v, ok)
	}
	if _, ok := got[0].Get("nope"); ok {
		t.Errorf("Get(nope) found something")
	}
}

// TestCollectorBounds feeds a Collector more steps than it keeps, short
// ones (the count bounds them) and long ones (the size does): it keeps the
// first, counts the others as dropped, and counts every malformed line
// while keeping the errors of only the first.
func TestCollectorBounds(t *testing.T) {
	long := strings.Repeat("v", 500)
	for _, tt := range []struct {
		name  string
		value string
	}{{"short", "x"}, {"long", long}} {
		const n = 1000
		c := NewCollector(io.Discard)
		var size int
		for i := range n {
			b, err := AppendLine(nil, Event{Mono: int64(i + 1), Step: "spam", Detail: Fields("v", tt.value)})
			if err != nil {
				t.Fatal(err)
			}
			c.Write(b)
			c.Write([]byte(Prefix + "{bad\n"))
			size = len(b)
		}
		c.Close()
		kept := len(c.Events())
		if want := min(MaxEvents, MaxKept/size); kept != want {
			t.Errorf("%s steps: kept %d, want %d", tt.name, kept, want)
		}
		if c.Dropped() != n-kept {
			t.Errorf("%s steps: Dropped() = %d, want %d", tt.name, c.Dropped(), n-kept)
		}
		if c.Malformed() != n || len(c.Bad()) == 0 || len(c.Bad()) > 16 {
			t.Errorf("%s steps: Malformed() = %d, %d errors kept; want %d, 1 to 16", tt.name, c.Malformed(), len(c.Bad()), n)
		}
	}
}
