package httpapi

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// outcomeCounters is the verifications counter with its children kept by label values, so
// that counting an answer is a map read instead of hashing three labels into the vector on
// every request. The label values come from closed sets (kinds, formats, result codes), so
// the map grows no larger than the vector does.
type outcomeCounters struct {
	vec *prometheus.CounterVec
	mu  sync.RWMutex
	m   map[outcomeKey]prometheus.Counter
}

type outcomeKey struct{ kind, format, outcome string }

func newOutcomeCounters(vec *prometheus.CounterVec) *outcomeCounters {
	return &outcomeCounters{vec: vec, m: map[outcomeKey]prometheus.Counter{}}
}

// inc counts one verification of kind and format with outcome.
func (o *outcomeCounters) inc(kind, format, outcome string) {
	k := outcomeKey{kind, format, outcome}
	o.mu.RLock()
	c, ok := o.m[k]
	o.mu.RUnlock()
	if !ok {
		c = o.vec.WithLabelValues(kind, format, outcome)
		o.mu.Lock()
		o.m[k] = c
		o.mu.Unlock()
	}
	c.Inc()
}
