// Benchplot draws the figures of handoff's benchmarks and checks their
// targets. scripts/bench.sh runs it after the benchmarks:
//
//	go -C tools/benchplot run . -data DIR -out DIR -tables DIR BENCH.txt...
//
// -data is the directory where the benchmarks appended their samples
// (HANDOFF_BENCH_DATA), one file per series; the BENCH.txt files are the
// benchmarks' output, in the Go benchmark format. It writes to -out:
//
//   - startgate.png: the start gate, time to start N children and time from
//     the set until the last of them woke, against N;
//   - wake.png: the distribution of the wake round trip;
//   - run.png: whole runs of the programs and of their C and Go baselines;
//
// and to -tables, as Markdown tables:
//
//   - runs.md: the whole runs' medians and quartiles;
//   - targets.md: the targets, with what was measured (the median
//     over the benchmark counts) and whether each is met.
//
// It is a module of its own so that gonum stays out of the library's
// go.mod.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/perf/benchfmt"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

func main() {
	data := flag.String("data", "", "the directory of the benchmarks' samples (HANDOFF_BENCH_DATA)")
	out := flag.String("out", "docs", "the directory to write the figures to")
	tables := flag.String("tables", "docs/bench", "the directory to write the tables to")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: benchplot -data DIR [-out DIR] [-tables DIR] BENCH.txt...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *data == "" || flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*data, *out, *tables, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "benchplot:", err)
		os.Exit(1)
	}
}

func run(data, out, tables string, benchFiles []string) error {
	s := &samples{dir: data}
	if err := startGate(s, out); err != nil {
		return err
	}
	if err := wake(s, out); err != nil {
		return err
	}
	if err := runs(s, out, tables); err != nil {
		return err
	}
	if s.err != nil {
		return s.err
	}
	res, err := readResults(benchFiles)
	if err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(tables, "targets.md"))
	if err != nil {
		return err
	}
	writeTargets(f, res)
	return f.Close()
}

// samples reads the series that the benchmarks appended, by name. A missing
// series is empty, and drawn as nothing.
type samples struct {
	dir string
	err error // the first read error
}

func (s *samples) get(name string) []float64 {
	f, err := os.Open(filepath.Join(s.dir, name+".txt"))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		s.fail(err)
		return nil
	}
	defer f.Close()
	var v []float64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		x, err := strconv.ParseFloat(strings.TrimSpace(sc.Text()), 64)
		if err != nil {
			s.fail(fmt.Errorf("%s: %w", f.Name(), err))
			return nil
		}
		v = append(v, x)
	}
	if err := sc.Err(); err != nil {
		s.fail(err)
	}
	slices.Sort(v)
	return v
}

func (s *samples) fail(err error) {
	if s.err == nil {
		s.err = err
	}
}

// quantile returns the q-quantile of the sorted x (nearest rank).
func quantile(x []float64, q float64) float64 {
	if len(x) == 0 {
		return math.NaN()
	}
	return x[int(q*float64(len(x)-1)+0.5)]
}

// The platforms, as the samples' names begin, with their labels and colors.
var platforms = []struct {
	goos, label string
	color       color.Color
}{
	{"linux", "Linux", color.RGBA{0x1f, 0x77, 0xb4, 0xff}},
	{"windows", "Wine", color.RGBA{0xd6, 0x27, 0x28, 0xff}},
}

var gray = color.Gray{0x80}

var gateSizes = []int{1, 4, 16, 64}

// startGate draws the start-gate scaling: per platform, the library's gate
// (BenchmarkStartGate, with Go children, the test binary, and with C
// children) and the programs' (BenchmarkRunGate, handoff-parent -children
// N), the median time to start
// N children (until all were ready) and from the set until the last woke,
// with the quartiles as error bars, against N on log scales.
func startGate(s *samples, out string) error {
	start := newPlot("Start N children, until all are ready", "children N", "ms")
	woke := newPlot("From the set until the last child woke", "children N", "ms")
	for _, p := range []*plot.Plot{start, woke} {
		logAxes(p)
	}
	for i, pf := range platforms {
		on := map[string]string{"linux": "linux", "windows": "wine"}[pf.goos]
		for _, kind := range []struct {
			label, start, woke string
			dashes             []vg.Length
		}{
			{"library, Go", pf.goos + "-gate-go-%d-start-ms", pf.goos + "-gate-go-%d-last-woke-us", nil},
			{"library, C", pf.goos + "-gate-c-%d-start-ms", pf.goos + "-gate-c-%d-last-woke-us", []vg.Length{vg.Points(1.5), vg.Points(2)}},
			{"programs", "rungate-" + on + "-%d-start-ms", "rungate-" + on + "-%d-last-woke-us", []vg.Length{vg.Points(5), vg.Points(3)}},
		} {
			var st, lw medianSeries
			for _, n := range gateSizes {
				st.add(float64(n), s.get(fmt.Sprintf(kind.start, n)), 1)
				lw.add(float64(n), s.get(fmt.Sprintf(kind.woke, n)), 1e-3)
			}
			label := pf.label + ": " + kind.label
			if err := st.draw(start, label, pf.color, kind.dashes); err != nil {
				return err
			}
			if err := lw.draw(woke, label, pf.color, kind.dashes); err != nil {
				return err
			}
		}
		// Linear growth from the library's N=1, for comparison.
		if v := s.get(fmt.Sprintf("%s-gate-go-1-start-ms", pf.goos)); len(v) > 0 {
			y0 := quantile(v, 0.5)
			lin, err := plotter.NewLine(plotter.XYs{{X: 1, Y: y0}, {X: 64, Y: y0 * 64}})
			if err != nil {
				return err
			}
			lin.Color, lin.Dashes = gray, []vg.Length{vg.Points(1), vg.Points(3)}
			start.Add(lin)
			if i == 0 {
				start.Legend.Add("linear in N, from N=1 (library, Go)", lin)
			}
		}
	}
	target, err := plotter.NewLine(plotter.XYs{{X: 1, Y: 2}, {X: 64, Y: 2}})
	if err != nil {
		return err
	}
	target.Color, target.Dashes = gray, []vg.Length{vg.Points(4), vg.Points(2)}
	woke.Add(target)
	woke.Legend.Add("target for 64: 2 ms", target)
	// Room above the lines for the legend.
	for _, p := range []*plot.Plot{start, woke} {
		p.Y.Max *= 25
	}
	return saveTiles(filepath.Join(out, "startgate.png"), 12*vg.Inch, 5*vg.Inch, start, woke)
}

// medianSeries is a line of medians with quartile error bars.
type medianSeries struct {
	xys  plotter.XYs
	errs plotter.YErrors
}

func (m *medianSeries) add(x float64, v []float64, scale float64) {
	if len(v) == 0 {
		return
	}
	med := quantile(v, 0.5) * scale
	m.xys = append(m.xys, plotter.XY{X: x, Y: med})
	m.errs = append(m.errs, struct{ Low, High float64 }{med - quantile(v, 0.25)*scale, quantile(v, 0.75)*scale - med})
}

func (m *medianSeries) draw(p *plot.Plot, label string, c color.Color, dashes []vg.Length) error {
	if len(m.xys) == 0 {
		return nil
	}
	line, points, err := plotter.NewLinePoints(m.xys)
	if err != nil {
		return err
	}
	line.Color, points.Color = c, c
	if dashes != nil {
		line.Dashes = dashes
		points.Shape = draw.BoxGlyph{}
	}
	bars, err := plotter.NewYErrorBars(struct {
		plotter.XYs
		plotter.YErrors
	}{m.xys, m.errs})
	if err != nil {
		return err
	}
	bars.Color = c
	p.Add(line, points, bars)
	p.Legend.Add(label, line, points)
	return nil
}

// wake draws the distribution of the wake round trip as empirical
// cumulative distributions, on a log scale of microseconds.
func wake(s *samples, out string) error {
	p := newPlot("Wake round trip (ping-pong with a long-lived child)", "round trip, µs", "fraction of round trips at most")
	p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, logTicks{}
	p.Y.Min, p.Y.Max = 0, 1
	series := []struct {
		name, label string
		color       color.Color
		dashed      bool
	}{
		{"linux-wake-handoff-us", "Linux, handoff events", platforms[0].color, false},
		{"linux-wake-raw-eventfd-us", "Linux, raw eventfds", platforms[0].color, true},
		{"windows-wake-handoff-us", "Windows (Wine 8), handoff events", platforms[1].color, false},
	}
	for _, sr := range series {
		v := s.get(sr.name)
		if len(v) == 0 {
			continue
		}
		xys := make(plotter.XYs, 0, 512)
		step := max(1, len(v)/500)
		for i := 0; i < len(v); i += step {
			xys = append(xys, plotter.XY{X: max(v[i], 0.1), Y: float64(i+1) / float64(len(v))})
		}
		xys = append(xys, plotter.XY{X: v[len(v)-1], Y: 1})
		line, err := plotter.NewLine(xys)
		if err != nil {
			return err
		}
		line.Color, line.Width = sr.color, vg.Points(1.5)
		if sr.dashed {
			line.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
		}
		p.Add(line)
		p.Legend.Add(fmt.Sprintf("%s: p50 %.1f µs, p99 %.1f µs (n=%d)", sr.label, quantile(v, 0.5), quantile(v, 0.99), len(v)), line)
	}
	p.Legend.Top, p.Legend.Left = false, false
	return p.Save(9*vg.Inch, 4.5*vg.Inch, filepath.Join(out, "wake.png"))
}

// runNames are the runs of BenchmarkRun, in the order drawn.
var runNames = []string{"c-noop", "go-noop", "c-pair", "go-pair", "handoff", "handoff-before"}

// runs draws whole runs of the programs as box plots, natively and under
// Wine, each on its own scale, and writes their medians and quartiles to
// runs.md.
func runs(s *samples, out, tables string) error {
	var names []string
	for _, n := range runNames {
		if len(s.get("run-linux-"+n+"-ms"))+len(s.get("run-wine-"+n+"-ms")) > 0 {
			names = append(names, n)
		}
	}
	ons := []struct{ key, title string }{
		{"linux", "Whole run, Linux"},
		{"wine", "Whole run, Windows programs under Wine 8"},
	}
	var tiles []*plot.Plot
	for _, on := range ons {
		p := newPlot(on.title, "", "ms, start to exit (log scale)")
		p.NominalX(names...)
		p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, logTicks{}
		for i, n := range names {
			v := s.get("run-" + on.key + "-" + n + "-ms")
			if len(v) == 0 {
				continue
			}
			box, err := plotter.NewBoxPlot(vg.Points(30), float64(i), plotter.Values(v))
			if err != nil {
				return err
			}
			box.FillColor = color.RGBA{0xc6, 0xdb, 0xef, 0xff}
			p.Add(box)
		}
		tiles = append(tiles, p)
	}
	if err := saveTiles(filepath.Join(out, "run.png"), 11*vg.Inch, 4.5*vg.Inch, tiles...); err != nil {
		return err
	}

	f, err := os.Create(filepath.Join(tables, "runs.md"))
	if err != nil {
		return err
	}
	fmt.Fprintln(f, "| run | Linux: median (quartiles) | / C pair | Wine: median (quartiles) | / C pair | runs |")
	fmt.Fprintln(f, "| --- | --- | --- | --- | --- | --- |")
	for _, n := range names {
		fmt.Fprintf(f, "| %s |", n)
		count := 0
		for _, on := range ons {
			v := s.get("run-" + on.key + "-" + n + "-ms")
			c := s.get("run-" + on.key + "-c-pair-ms")
			if len(v) == 0 {
				fmt.Fprint(f, " - | - |")
				continue
			}
			count = max(count, len(v))
			fmt.Fprintf(f, " %.2f ms (%.2f-%.2f) |", quantile(v, 0.5), quantile(v, 0.25), quantile(v, 0.75))
			if len(c) > 0 {
				fmt.Fprintf(f, " %.2fx |", quantile(v, 0.5)/quantile(c, 0.5))
			} else {
				fmt.Fprint(f, " - |")
			}
		}
		fmt.Fprintf(f, " %d |\n", count)
	}
	return f.Close()
}

func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text, p.X.Label.Text, p.Y.Label.Text = title, x, y
	p.Add(plotter.NewGrid())
	p.Legend.Top, p.Legend.Left = true, true
	return p
}

func logAxes(p *plot.Plot) {
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.X.Tick.Marker = plot.ConstantTicks([]plot.Tick{{Value: 1, Label: "1"}, {Value: 4, Label: "4"}, {Value: 16, Label: "16"}, {Value: 64, Label: "64"}})
	p.Y.Tick.Marker = logTicks{}
	p.X.Min, p.X.Max = 0.8, 80
}

// logTicks marks a log axis at 1, 2 and 5 times the powers of ten, with
// labels, and at the other multiples without.
type logTicks struct{}

func (logTicks) Ticks(min, max float64) []plot.Tick {
	var ticks []plot.Tick
	for e := math.Floor(math.Log10(min)); e <= math.Ceil(math.Log10(max)); e++ {
		for m := 1.0; m < 10; m++ {
			v := m * math.Pow(10, e)
			if v < min || v > max {
				continue
			}
			t := plot.Tick{Value: v}
			if m == 1 || m == 2 || m == 5 {
				t.Label = strconv.FormatFloat(v, 'g', -1, 64)
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}

// saveTiles draws the plots side by side into one PNG.
func saveTiles(file string, w, h vg.Length, plots ...*plot.Plot) error {
	img := vgimg.New(w, h)
	dc := draw.New(img)
	t := draw.Tiles{Rows: 1, Cols: len(plots), PadX: vg.Millimeter * 6, PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	canvases := plot.Align([][]*plot.Plot{plots}, t, dc)
	for i, p := range plots {
		p.Draw(canvases[0][i])
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// results holds the benchmarks' values by GOOS, name (without the
// GOMAXPROCS suffix) and unit, one per benchmark count.
type results map[string][]float64

func key(goos, name, unit string) string { return goos + " " + name + " " + unit }

func readResults(files []string) (results, error) {
	res := results{}
	for _, file := range files {
		f, err := os.Open(file)
		if err != nil {
			return nil, err
		}
		r := benchfmt.NewReader(f, file)
		for r.Scan() {
			rec, ok := r.Result().(*benchfmt.Result)
			if !ok {
				continue
			}
			goos := rec.GetConfig("goos")
			base, parts := rec.Name.Parts()
			name := string(base)
			for _, p := range parts {
				if p[0] == '/' {
					name += string(p)
				}
			}
			for _, v := range rec.Values {
				unit, val := v.Unit, v.Value
				if v.OrigUnit != "" {
					unit, val = v.OrigUnit, v.OrigValue
				}
				k := key(goos, name, unit)
				res[k] = append(res[k], val)
			}
		}
		err = r.Err()
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	for _, v := range res {
		slices.Sort(v)
	}
	return res, nil
}

// median returns the median of a result over the counts, and whether there
// is one.
func (r results) median(goos, name, unit string) (float64, bool) {
	v := r[key(goos, name, unit)]
	if len(v) == 0 {
		return 0, false
	}
	return quantile(v, 0.5), true
}

// A target of the issue: a measure, and the limit it should stay within.
type target struct {
	what, where string
	goos        string // of the benchmark output the value is in
	name, unit  string
	limit       float64
	show        func(float64) string
	// check, if set, replaces the comparison with the limit: it returns the
	// value to show, whether it is met, and whether there is a value.
	check func(results) (string, bool, bool)
}

func ratio(v float64) string { return fmt.Sprintf("%.2fx", v) }
func us(v float64) string    { return fmt.Sprintf("%.0f µs", v) }
func mib(v float64) string   { return fmt.Sprintf("%.1f MiB", v) }

const (
	onLinux = "Linux"
	onWine  = "Windows (Wine 8)"
)

var targets = []target{
	{what: "handshake: handoff / bare start of the same binary", where: onLinux, goos: "linux", name: "Start/mode=alternate", unit: "ratio", limit: 1.03, show: ratio},
	{what: "handshake: handoff / bare start of the same binary", where: onWine, goos: "windows", name: "Start/mode=alternate", unit: "ratio", limit: 1.03, show: ratio},
	{what: "(probe) handshake, the steps: an eventfd and a pidfd passed by os/exec alone, no Start, no checks / bare start", where: onLinux, goos: "linux", name: "StartSteps", unit: "anon-files/bare", limit: 1.03, show: ratio},
	{what: "(probe) handshake, the steps: a bare start beside a broker / bare start", where: onWine, goos: "windows", name: "StartSteps", unit: "broker/bare", limit: 1.03, show: ratio},
	{what: "(probe) handshake, the steps: Start, to a child that checks nothing / bare start", where: onLinux, goos: "linux", name: "StartSteps", unit: "start-unchecked/bare", limit: 1.03, show: ratio},
	{what: "(probe) handshake, the steps: Start, to a child that checks nothing / bare start", where: onWine, goos: "windows", name: "StartSteps", unit: "start-unchecked/bare", limit: 1.03, show: ratio},
	{what: "wake: round trip p50, handoff / raw eventfd", where: onLinux, goos: "linux", name: "Wake/mode=alternate", unit: "ratio-p50", limit: 1.5, show: ratio},
	{what: "start gate, library: 64 children all awake after the set", where: onLinux, goos: "linux", name: "StartGate/child=go/children=64", unit: "last-woke-µs", limit: 2000, show: us},
	{what: "start gate, library: 64 children all awake after the set", where: onWine, goos: "windows", name: "StartGate/child=go/children=64", unit: "last-woke-µs", limit: 2000, show: us},
	{what: "(baseline) the same with 64 C children", where: onLinux, goos: "linux", name: "StartGate/child=c/children=64", unit: "last-woke-µs", limit: 2000, show: us},
	{what: "(baseline) the same with 64 C children", where: onWine, goos: "windows", name: "StartGate/child=c/children=64", unit: "last-woke-µs", limit: 2000, show: us},
	{what: "(probe) the same with 64 Go children whose wait the runtime does not see (raw ppoll)", where: onLinux, goos: "linux", name: "StartGate/child=go-rawpoll/children=64", unit: "last-woke-µs", limit: 2000, show: us},
	{what: "(probe) the same with 64 C children that make one wineserver call before reading the clock", where: onWine, goos: "windows", name: "StartGate/child=c-roundtrip/children=64", unit: "last-woke-µs", limit: 2000, show: us},
	{what: "(probe) first of 64 Go children awake after the set", where: onWine, goos: "windows", name: "StartGate/child=go/children=64", unit: "first-woke-µs", limit: 2000, show: us},
	{what: "(probe) first of 64 C children awake after the set", where: onWine, goos: "windows", name: "StartGate/child=c/children=64", unit: "first-woke-µs", limit: 2000, show: us},
	{what: "(probe) first of 64 C children with one wineserver call awake after the set", where: onWine, goos: "windows", name: "StartGate/child=c-roundtrip/children=64", unit: "first-woke-µs", limit: 2000, show: us},
	{what: "start gate, programs (handoff-parent -children 64): all awake after the set", where: onLinux, goos: "linux", name: "RunGate/on=linux/children=64", unit: "last-woke-µs", limit: 2000, show: us},
	{what: "start gate, programs (handoff-parent -children 64): all awake after the set", where: onWine, goos: "linux", name: "RunGate/on=wine/children=64", unit: "last-woke-µs", limit: 2000, show: us},
	{what: "start gate, library: start cost per child, N=64 / N=4 (linear: about 1)", where: onLinux, check: linear("linux", "StartGate/child=go")},
	{what: "start gate, library: start cost per child, N=64 / N=4 (linear: about 1)", where: onWine, check: linear("windows", "StartGate/child=go")},
	{what: "start gate, programs: start cost per child, N=64 / N=4", where: onLinux, check: linear("linux", "RunGate/on=linux")},
	{what: "start gate, programs: start cost per child, N=64 / N=4", where: onWine, check: linear("linux", "RunGate/on=wine")},
	{what: "handoff-child peak RSS", where: onLinux, goos: "linux", name: "ChildMemory/prog=handoff-child", unit: "peak-rss-MiB", limit: 8, show: mib},
	{what: "handoff-child peak working set (counts Wine's own libraries)", where: onWine, goos: "windows", name: "ChildMemory/prog=handoff-child", unit: "peak-rss-MiB", limit: 8, show: mib},
	{what: "whole run: handoff pair / C pair", where: onWine, goos: "linux", name: "Run/on=wine", unit: "handoff/c-pair", limit: 1.25, show: ratio},
}

// linear checks that the start cost per child does not grow with N: at
// N=64 at most 1.5 times what it is at N=4.
func linear(goos, name string) func(results) (string, bool, bool) {
	return func(r results) (string, bool, bool) {
		a, ok1 := r.median(goos, name+"/children=4", "start-ms/child")
		b, ok2 := r.median(goos, name+"/children=64", "start-ms/child")
		if !ok1 || !ok2 {
			return "", false, false
		}
		return fmt.Sprintf("%.2fx (%.1f ms, %.1f ms per child)", b/a, a, b), b/a <= 1.5, true
	}
}

func writeTargets(w io.Writer, r results) {
	fmt.Fprintln(w, "| target | where | limit | measured (median of the counts) | met |")
	fmt.Fprintln(w, "| --- | --- | --- | --- | --- |")
	for _, t := range targets {
		var shown, limit string
		var met, ok bool
		if t.check != nil {
			shown, met, ok = t.check(r)
			limit = "at most 1.5x"
		} else {
			var v float64
			v, ok = r.median(t.goos, t.name, t.unit)
			shown, met, limit = t.show(v), v <= t.limit, "at most "+t.show(t.limit)
		}
		verdict := "no"
		switch {
		case !ok:
			shown, verdict = "not run", "-"
		case met:
			verdict = "yes"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", t.what, t.where, limit, shown, verdict)
	}
}
