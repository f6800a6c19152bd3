package build

import "strings"

// envList is an ordered environment where setting a name again replaces
// its value in place.
type envList struct {
	vars  []Var
	index map[string]int
}

func newEnvList(base []string) *envList {
	e := &envList{index: make(map[string]int, len(base)+32)}
	for _, kv := range base {
		if k, v, ok := strings.Cut(kv, "="); ok && k != "" {
			e.set(k, v)
		}
	}
	return e
}

func (e *envList) set(name, value string) {
	if i, ok := e.index[name]; ok {
		e.vars[i].Value = value
		return
	}
	e.index[name] = len(e.vars)
	e.vars = append(e.vars, Var{Name: name, Value: value})
}

func (e *envList) strings() []string {
	out := make([]string, len(e.vars))
	for i, v := range e.vars {
		out[i] = v.Name + "=" + v.Value
	}
	return out
}
