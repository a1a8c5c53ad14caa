// Benchplot draws the figures of handoff's benchmarks and checks their
// targets. scripts/bench.sh runs it after the benchmarks:
//
//	go -C tools/benchplot run . [-data DIR -out DIR] -tables DIR BENCH.txt...
//
// -data is the directory where the benchmarks appended their samples
// (HANDOFF_BENCH_DATA), one file per series; without it, only targets.md is
// written. The BENCH.txt files are the benchmarks' output, in the Go
// benchmark format. It writes to -out:
//
//   - startgate.png: the start gate, time to start N children and time from
//     the set until the last of them woke, against N;
//   - wake.png: the distribution of the wake round trip;
//   - run.png: whole runs of the programs and of their C and Go baselines;
//
// and to -tables, as Markdown tables:
//
//   - runs.md: the whole runs' medians and quartiles;
//   - targets.md: the targets of docs/performance.md, each with what was
//     measured (the median over the benchmark counts), what it was measured
//     against in the same run, and whether it is met. A target missed is a
//     "no" in the table, never a failed run.
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
	data := flag.String("data", "", "the directory of the benchmarks' samples (HANDOFF_BENCH_DATA); without it, no plots")
	out := flag.String("out", "docs", "the directory to write the figures to")
	tables := flag.String("tables", "docs/bench", "the directory to write the tables to")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: benchplot [-data DIR] [-out DIR] [-tables DIR] BENCH.txt...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*data, *out, *tables, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "benchplot:", err)
		os.Exit(1)
	}
}

func run(data, out, tables string, benchFiles []string) error {
	if data != "" {
		if err := plots(data, out, tables); err != nil {
			return err
		}
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

// plots draws the figures and writes runs.md from the samples in data.
func plots(data, out, tables string) error {
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
	return s.err
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

// ons are where the whole runs were timed, as the samples' keys name them.
var ons = []struct{ key, title string }{
	{"linux", "Whole run, Linux"},
	{"wine", "Whole run, Windows programs under Wine 8"},
}

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

	return runsTable(s, names, filepath.Join(tables, "runs.md"))
}

// runsTable writes the whole runs' medians, each over the C pair's, to path.
func runsTable(s *samples, names []string, path string) error {
	f, err := os.Create(path)
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
// GOMAXPROCS suffix) and unit, one per benchmark count. Results made under
// Wine 10 (a file whose configuration has "wine: 10", which
// scripts/bench.sh writes at the top of its Wine 10 output) are kept apart,
// under GOOS "linux@wine10" or "windows@wine10": as the test binary ran them,
// BenchmarkRun/on=wine from the Linux one, the rest from the Windows one.
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
			if w := rec.GetConfig("wine"); w != "" && w != "8" {
				goos += "@wine" + w
			}
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

// A target of the targets table, on one platform: a measure, the limit it
// should stay within (none for a floor or a probe, which are there to read
// the targets by), and the floor it is measured against in the same run.
// The table has a row per what and a column per where.
type target struct {
	what, where string
	from        string  // the benchmark that measures it
	limit       float64 // 0: no limit, the row is a floor or a probe
	show        func(float64) string
	// value returns the measure, and whether there is one.
	value func(results) (float64, bool)
	// floor, if set, says what the measure was compared with in the same
	// run, or "" if that is not there either.
	floor func(results) string
}

func ratio(v float64) string { return fmt.Sprintf("%.2fx", v) }
func us(v float64) string    { return fmt.Sprintf("%.0f µs", v) }
func mib(v float64) string   { return fmt.Sprintf("%.1f MiB", v) }

// The columns of the targets table, and the GOOS under which each one's
// results are kept: the Windows test binary's, and the Linux test binary's
// for BenchmarkRun/on=wine and BenchmarkRunGate/on=wine (see results).
const (
	onLinux  = "Linux"
	onWine   = "Wine 8"
	onWine10 = "Wine 10"
)

var columns = []string{onLinux, onWine, onWine10}

// winGOOS returns the GOOS of the results of the Windows test binary under
// the Wine of column on, and runGOOS that of the Linux test binary's runs of
// the Windows programs there.
func winGOOS(on string) string {
	if on == onWine10 {
		return "windows@wine10"
	}
	return "windows"
}

func runGOOS(on string) string {
	if on == onWine10 {
		return "linux@wine10"
	}
	return "linux"
}

// metric returns the median over the counts of one result.
func metric(goos, name, unit string) func(results) (float64, bool) {
	return func(r results) (float64, bool) { return r.median(goos, name, unit) }
}

// shown formats the medians of results, "" if one is missing.
func shown(format string, f func(float64) string, ms ...func(results) (float64, bool)) func(results) string {
	return func(r results) string {
		var args []any
		for _, m := range ms {
			v, ok := m(r)
			if !ok {
				return ""
			}
			args = append(args, f(v))
		}
		return fmt.Sprintf(format, args...)
	}
}

// gateRatio returns the ratio of the last wake of 64 Go children to that of
// 64 C children: from BenchmarkStartGate/child=alternate, which runs them in
// turn, or else the ratio of the medians of child=go and child=c, which ran
// one after the other.
func gateRatio(goos string) func(results) (float64, bool) {
	return func(r results) (float64, bool) {
		if v, ok := r.median(goos, "StartGate/child=alternate/children=64", "ratio-last-woke"); ok {
			return v, true
		}
		g, ok1 := r.median(goos, "StartGate/child=go/children=64", "last-woke-µs")
		c, ok2 := r.median(goos, "StartGate/child=c/children=64", "last-woke-µs")
		return g / c, ok1 && ok2
	}
}

func gateFloor(goos string) func(results) string {
	return func(r results) string {
		g, ok1 := r.median(goos, "StartGate/child=alternate/children=64", "go-last-woke-µs")
		c, ok2 := r.median(goos, "StartGate/child=alternate/children=64", "c-last-woke-µs")
		how := "in turn"
		if !ok1 || !ok2 {
			g, ok1 = r.median(goos, "StartGate/child=go/children=64", "last-woke-µs")
			c, ok2 = r.median(goos, "StartGate/child=c/children=64", "last-woke-µs")
			how = "one after the other, not in turn"
		}
		if !ok1 || !ok2 {
			return ""
		}
		return fmt.Sprintf("64 C children: %s, against %s (%s)", us(c), us(g), how)
	}
}

const startOwn = "Start's own work: Start + Wait of a child that checks nothing / the same start without handoff (Linux: the same descriptors passed by os/exec alone; Windows: a plain start of the same binary)"

// The targets of docs/performance.md, each against its floor, then the
// floors and probes that explain them.
var targets = func() []target {
	var t []target
	add := func(ts ...target) { t = append(t, ts...) }
	add(
		against(startOwn,
			onLinux, 1.02, "linux", "StartSteps", "start-unchecked/anon-files", ms, "", "", ""),
	)
	for _, on := range []string{onWine, onWine10} {
		add(against(startOwn,
			on, 1.05, winGOOS(on), "StartSteps", "start-unchecked/bare", ms, "over a plain start of the same binary (bare start %s)", "bare-ms", ""))
	}
	add(against("handshake: handoff / bare start of the same binary", onLinux, 1.03, "linux", "Start/mode=alternate", "ratio", ms, "bare start %s, handoff %s", "bare-ms", "handoff-ms"))
	for _, on := range []string{onWine, onWine10} {
		add(against("handshake: handoff / bare start of the same binary", on, 1.10, winGOOS(on), "Start/mode=alternate", "ratio", ms, "bare start %s, handoff %s", "bare-ms", "handoff-ms"))
	}
	add(against("whole run: handoff-parent and handoff-child / the classic pair in Go", onLinux, 1.10, "linux", "Run/on=linux", "handoff/go-pair", ms, "Go pair %s, handoff %s", "go-pair-ms", "handoff-ms"))
	for _, on := range []string{onWine, onWine10} {
		add(against("whole run: handoff-parent and handoff-child / the classic pair in Go", on, 1.10, runGOOS(on), "Run/on=wine", "handoff/go-pair", ms, "Go pair %s, handoff %s", "go-pair-ms", "handoff-ms"))
	}
	add(against("wake: round trip p50, handoff / raw eventfd", onLinux, 1.5, "linux", "Wake/mode=alternate", "ratio-p50", us1, "raw eventfd %s, handoff %s", "raw-p50-µs", "handoff-p50-µs"))
	for _, on := range []string{onLinux, onWine} {
		goos := map[string]string{onLinux: "linux", onWine: "windows"}[on]
		add(target{what: "start gate: last of 64 Go children awake after the set / 64 C children", where: on, limit: 1.2, show: ratio,
			from: "BenchmarkStartGate/child=alternate/children=64", value: gateRatio(goos), floor: gateFloor(goos)})
	}
	add(target{what: "handoff-child peak RSS (under Wine: peak working set, which counts Wine's own libraries; a probe)", where: onLinux, limit: 8, show: mib,
		from:  "BenchmarkChildMemory",
		value: metric("linux", "ChildMemory/prog=handoff-child", "peak-rss-MiB"),
		floor: shown("classic child in Go %s, in C %s", mib, metric("linux", "ChildMemory/prog=go-classic-child", "peak-rss-MiB"), metric("linux", "ChildMemory/prog=c-child", "peak-rss-MiB"))},
		target{what: "handoff-child peak RSS (under Wine: peak working set, which counts Wine's own libraries; a probe)", where: onWine, show: mib,
			from:  "BenchmarkChildMemory",
			value: metric("windows", "ChildMemory/prog=handoff-child", "peak-rss-MiB"),
			floor: shown("classic child in Go %s, in C %s", mib, metric("windows", "ChildMemory/prog=go-classic-child", "peak-rss-MiB"), metric("windows", "ChildMemory/prog=c-child", "peak-rss-MiB"))},
		against("(floor) whole run: handoff / the classic pair in C", onLinux, 0, "linux", "Run/on=linux", "handoff/c-pair", ms, "C pair %s", "c-pair-ms", ""),
	)
	for _, on := range []string{onWine, onWine10} {
		add(against("(floor) whole run: handoff / the classic pair in C", on, 0, runGOOS(on), "Run/on=wine", "handoff/c-pair", ms, "C pair %s", "c-pair-ms", ""))
	}
	for _, part := range []struct{ name, what string }{
		{"parent", "handoff-parent running the classic child, the event only"},
		{"child", "the classic parent running handoff-child"},
		{"child-no-timeout", "the same, handoff-child with -timeout 0"},
		{"event", "both programs, the event only"},
		{"lifeline", "both programs, the event and the lifeline"},
		{"handoff", "the default run: the handles argument and the ready round trip too"},
	} {
		add(against("(probe) whole run taken apart: "+part.what+" / the classic pair in Go, in each round", onLinux, 0, "linux", "RunParts", part.name+"/go-pair", ms, "", "", ""))
	}
	add(against("(probe) handshake step: an eventfd and a pidfd passed by os/exec alone / bare start", onLinux, 0, "linux", "StartSteps", "anon-files/bare", ms, "", "", ""),
		against("(probe) handshake step: Start, to a child that checks nothing / bare start", onLinux, 0, "linux", "StartSteps", "start-unchecked/bare", ms, "", "", ""))
	for _, on := range []string{onWine, onWine10} {
		add(against("(probe) handshake step: a bare start beside a new kill-on-close job / bare start", on, 0, winGOOS(on), "StartSteps", "job/bare", ms, "", "", ""),
			against("(probe) handshake step: Start, to a child that checks nothing / bare start", on, 0, winGOOS(on), "StartSteps", "start-unchecked/bare", ms, "", "", ""))
	}
	return t
}()

// against is a target that is a ratio reported by one benchmark, whose
// other metrics, floorUnit and measureUnit (either may be ""), are shown
// with floorFormat.
func against(what, where string, limit float64, goos, name, unit string, show func(float64) string, floorFormat, floorUnit, measureUnit string) target {
	t := target{what: what, where: where, limit: limit, show: ratio, from: "Benchmark" + name, value: metric(goos, name, unit)}
	if floorFormat == "" {
		return t
	}
	var ms []func(results) (float64, bool)
	for _, u := range []string{floorUnit, measureUnit} {
		if u != "" {
			ms = append(ms, metric(goos, name, u))
		}
	}
	t.floor = shown(floorFormat, show, ms...)
	return t
}

func ms(v float64) string  { return fmt.Sprintf("%.2f ms", v) }
func us1(v float64) string { return fmt.Sprintf("%.1f µs", v) }

// writeTargets writes the targets table: a row per target, a column per
// platform, each cell the measure, whether it is within its limit, and what
// it was measured against in the same run. Whether a target is met is
// written in the table: a target missed is a figure, not a failure.
func writeTargets(w io.Writer, r results) {
	var whats []string
	cells := map[string]map[string]string{}
	from := map[string][]string{}
	for _, t := range targets {
		if cells[t.what] == nil {
			whats = append(whats, t.what)
			cells[t.what] = map[string]string{}
		}
		if !slices.Contains(from[t.what], t.from) {
			from[t.what] = append(from[t.what], t.from)
		}
		v, ok := t.value(r)
		cell := "not measured"
		if ok {
			cell = t.show(v)
			if t.limit > 0 {
				cell += fmt.Sprintf(" (at most %s: %s)", t.show(t.limit), map[bool]string{true: "met", false: "**not met**"}[v <= t.limit])
			}
		}
		if t.floor != nil {
			if f := t.floor(r); f != "" {
				cell += "; " + f
			}
		}
		cells[t.what][t.where] = cell
	}
	fmt.Fprintf(w, "| target | %s | from |\n", strings.Join(columns, " | "))
	fmt.Fprintf(w, "| --- |%s --- |\n", strings.Repeat(" --- |", len(columns)))
	for _, what := range whats {
		fmt.Fprintf(w, "| %s |", what)
		for _, c := range columns {
			cell, ok := cells[what][c]
			if !ok {
				cell = "-"
			}
			fmt.Fprintf(w, " %s |", cell)
		}
		fmt.Fprintf(w, " `%s` |\n", strings.Join(from[what], "`, `"))
	}
}
