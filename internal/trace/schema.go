package trace

import (
	"strings"
	"sync"
)

// A Kind is the JSON type of a detail's value in what [WriteJSON] writes.
type Kind string

// The kinds of a detail's value.
const (
	String Kind = "string"
	Number Kind = "number"
	Bool   Kind = "boolean"
)

// Schema gives, for each step of handoff-parent and handoff-child by who
// ([Parent] or [Child]) and step, the JSON type of each of its details.
// docs/trace.md gives the same, with the moment each step marks; a detail
// not listed is a string. A value that is not of its kind (a child other
// than handoff-child may write anything under these names) is written as a
// string. It is built on the first call, not at init: most runs of the
// programs never write JSON.
var Schema = sync.OnceValue(func() map[string]map[string]map[string]Kind {
	return map[string]map[string]map[string]Kind{
		Parent: {
			"start":           {"pid": Number},
			"event-created":   {"handle": Number},
			"message-created": {"handle": Number, "bytes": Number},
			"child-started":   {"child": Number, "pid": Number, "event": Number, "message": Number, "ready": Number, "parent": Number, "took_ms": Number},
			"ready":           {},
			"event-set":       {},
			"timeout":         {"after": String},
			"child-exited":    {"code": Number, "child": Number, "status": String},
			"cleanup-done":    {},
			"trace-dropped":   {"child": Number, "steps": Number},
			"wake-spread":     {"woke": Number, "children": Number, "first_ms": Number, "last_ms": Number, "spread_ms": Number},
		},
		Child: {
			"start":             {"pid": Number, "ppid": Number, "handles": String, "event": String, "parent": String},
			"event-verified":    {"value": Number, "type": String, "inherited": Bool},
			"lifeline-verified": {"value": Number, "type": String, "inherited": Bool, "ppid": Number},
			"message-verified":  {"value": Number, "type": String, "inherited": Bool, "bytes": Number},
			"ready":             {},
			"waiting":           {"timeout": String},
			"woke":              {"result": String, "after_set_ms": Number},
			"message-read":      {"bytes": Number, "fnv64a": String},
			"exiting":           {"code": Number, "error": String},
		},
	}
})

// KindOf returns the kind of the detail key of the step of who: [Parent],
// else a child (who is "child", or "child3" for one of several).
func KindOf(who, step, key string) Kind {
	class := Parent
	if strings.HasPrefix(who, Child) {
		class = Child
	}
	if k, ok := Schema()[class][step][key]; ok {
		return k
	}
	return String
}

// jsonNumber reports whether v is what Number values look like: an
// optional minus, an integer without leading zeros, and optional decimals
// (-?(0|[1-9][0-9]*)(\.[0-9]+)?).
func jsonNumber(v string) bool {
	v = strings.TrimPrefix(v, "-")
	i := digits(v)
	switch {
	case i == 0, i > 1 && v[0] == '0':
		return false
	case i == len(v):
		return true
	}
	frac := v[i:]
	return frac[0] == '.' && len(frac) > 1 && digits(frac[1:]) == len(frac)-1
}

// digits returns how many ASCII digits s starts with.
func digits(s string) int {
	i := 0
	for i < len(s) && '0' <= s[i] && s[i] <= '9' {
		i++
	}
	return i
}

// appendValue appends the value v of a detail of kind k: as a JSON number
// or boolean if it is one, else as a string.
func appendValue(b []byte, k Kind, v string) []byte {
	switch {
	case k == Number && jsonNumber(v),
		k == Bool && (v == "true" || v == "false"):
		return append(b, v...)
	}
	return appendString(b, v)
}
