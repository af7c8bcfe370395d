package main

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/idport/idport/trustregistry/trustsource"
)

// syncMetrics exports the state of a verifier's registry copy to Prometheus:
//
//	idport_verifier_registry_snapshot_version        version of the snapshot held (0: none)
//	idport_verifier_registry_snapshot_age_seconds    time since the held snapshot was issued
//	idport_verifier_registry_syncs_total{result}     sync attempts: updated, unchanged or error
//	idport_verifier_registry_sync_error{reason}      1 for the reason the last attempt failed, else 0
//	idport_verifier_registry_ready                   1 when the copy makes the verifier ready
type syncMetrics struct {
	syncs   *prometheus.CounterVec
	lastErr *prometheus.GaugeVec
	mu      sync.Mutex
}

// newSyncMetrics makes the sync metrics; pass Observe as SyncConfig.OnSync and Register them
// with the source once it exists.
func newSyncMetrics() *syncMetrics {
	m := &syncMetrics{
		syncs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "idport_verifier_registry_syncs_total",
			Help: "Registry sync attempts by result: updated (a new snapshot was accepted), unchanged or error."}, []string{"result"}),
		lastErr: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "idport_verifier_registry_sync_error",
			Help: "1 for the reason the last registry sync attempt failed (fetch, untrusted_key, invalid_snapshot, rollback), 0 for the others; all 0 after a success."}, []string{"reason"}),
	}
	for _, r := range []string{"updated", "unchanged", "error"} {
		m.syncs.WithLabelValues(r)
	}
	for _, r := range trustsource.SyncErrorReasons {
		m.lastErr.WithLabelValues(r).Set(0)
	}
	return m
}

// Observe records one sync attempt.
func (m *syncMetrics) Observe(accepted bool, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	reason := ""
	switch {
	case err != nil:
		m.syncs.WithLabelValues("error").Inc()
		reason = trustsource.SyncErrorReason(err)
	case accepted:
		m.syncs.WithLabelValues("updated").Inc()
	default:
		m.syncs.WithLabelValues("unchanged").Inc()
	}
	for _, r := range trustsource.SyncErrorReasons {
		v := 0.0
		if r == reason {
			v = 1
		}
		m.lastErr.WithLabelValues(r).Set(v)
	}
}

// Register registers the metrics of src with reg; ready reports whether the verifier is ready.
func (m *syncMetrics) Register(reg prometheus.Registerer, src *trustsource.Source, ready func() bool) error {
	cs := []prometheus.Collector{m.syncs, m.lastErr,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "idport_verifier_registry_snapshot_version",
			Help: "Version of the registry snapshot the verifier holds (0: none)."},
			func() float64 { return float64(src.Replica().Status().Version) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "idport_verifier_registry_snapshot_age_seconds",
			Help: "Seconds since the registry snapshot the verifier holds was issued (0: none)."},
			func() float64 {
				st := src.Replica().Status()
				if st.IssuedAt.IsZero() {
					return 0
				}
				return time.Since(st.IssuedAt).Seconds()
			}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "idport_verifier_registry_ready",
			Help: "1 when the verifier's registry copy makes it ready (see /readyz), else 0."},
			func() float64 {
				if ready() {
					return 1
				}
				return 0
			}),
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}
