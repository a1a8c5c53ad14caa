package trace

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// docSchema returns the steps of docs/trace.md's tables: who, step, and
// each detail's kind.
func docSchema(t *testing.T) map[string]map[string]map[string]Kind {
	t.Helper()
	b, err := os.ReadFile("../../docs/trace.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| (parent|child) \\| `([a-z-]+)` \\| [^|]+ \\| ([^|]+) \\|$")
	detail := regexp.MustCompile("`([a-z][a-z0-9_]*)` (number|string|boolean)")
	doc := map[string]map[string]map[string]Kind{}
	for _, m := range row.FindAllStringSubmatch(string(b), -1) {
		if doc[m[1]] == nil {
			doc[m[1]] = map[string]map[string]Kind{}
		}
		if _, ok := doc[m[1]][m[2]]; ok {
			t.Errorf("docs/trace.md: %s step %s twice", m[1], m[2])
		}
		kinds := map[string]Kind{}
		for _, d := range detail.FindAllStringSubmatch(m[3], -1) {
			kinds[d[1]] = Kind(d[2])
		}
		if len(kinds) == 0 && strings.TrimSpace(m[3]) != "none" {
			t.Errorf("docs/trace.md: %s step %s: details %q name no key and type", m[1], m[2], m[3])
		}
		doc[m[1]][m[2]] = kinds
	}
	return doc
}

// TestSchemaDoc checks that docs/trace.md gives every step of Schema, and
// no other, each detail with the kind Schema gives it.
func TestSchemaDoc(t *testing.T) {
	doc := docSchema(t)
	for who, steps := range Schema() {
		for step, kinds := range steps {
			got, ok := doc[who][step]
			if !ok {
				t.Errorf("docs/trace.md lacks the %s step %s", who, step)
				continue
			}
			for key, k := range kinds {
				if got[key] != k {
					t.Errorf("docs/trace.md: %s step %s: %s is %q, Schema says %q", who, step, key, got[key], k)
				}
			}
			for key := range got {
				if _, ok := kinds[key]; !ok {
					t.Errorf("docs/trace.md: %s step %s: %s is not in Schema", who, step, key)
				}
			}
		}
	}
	for who, steps := range doc {
		for step := range steps {
			if _, ok := Schema()[who][step]; !ok {
				t.Errorf("docs/trace.md gives the %s step %s, which Schema lacks", who, step)
			}
		}
	}
}

func TestJSONNumber(t *testing.T) {
	for v, want := range map[string]bool{
		"0": true, "7": true, "-7": true, "1234": true, "0.5": true, "-12.25": true, "-0": true,
		"": false, "-": false, "01": false, "-01": false, "1.": false, ".5": false, "1.2.3": false,
		"1e3": false, "+1": false, "0x10": false, " 1": false, "1 ": false, "NaN": false, "--1": false,
	} {
		if got := jsonNumber(v); got != want {
			t.Errorf("jsonNumber(%q) = %v, want %v", v, got, want)
		}
	}
}
