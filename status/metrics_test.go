package status

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// parseMetrics parses text with Prometheus's own text-format parser.
func parseMetrics(t *testing.T, text string) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatalf("expfmt: %v\n%s", err, text)
	}
	return families
}

// value returns the value of the sample of family name whose labels
// include want.
func value(t *testing.T, families map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	t.Helper()
	f, ok := families[name]
	if !ok {
		t.Fatalf("no family %s", name)
	}
next:
	for _, m := range f.GetMetric() {
		got := map[string]string{}
		for _, lp := range m.GetLabel() {
			got[lp.GetName()] = lp.GetValue()
		}
		for k, v := range want {
			if got[k] != v {
				continue next
			}
		}
		if m.GetCounter() != nil {
			return m.GetCounter().GetValue()
		}
		return m.GetGauge().GetValue()
	}
	t.Fatalf("%s has no sample with labels %v", name, want)
	return 0
}

func TestMetricsParse(t *testing.T) {
	node := 1
	st := &Status{Ready: true, Seconds: 0.42, CmdlineErrors: 1,
		Regions:  []Region{{Dev: "region0", Size: 256 << 20, Available: 64 << 20, NumaNode: &node}, {Dev: "region1", Size: 128 << 20}},
		Services: []Service{{Name: "counter", State: Restarting, Restarts: 3}, {Name: "once", State: Exited}}}
	st.Add(Entry{Name: "db", Mode: "fsdax", Size: 128 << 20}, Created, "")
	st.Add(Entry{Name: `odd"name\`, Mode: "raw", Size: 64 << 20}, Kept, "")
	st.Add(Entry{Name: "big", Mode: "raw", Size: 1 << 40}, Failed, "no room")
	f := parseMetrics(t, Metrics(st))
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"ramdax_ready", nil, 1},
		{"ramdax_setup_seconds", nil, 0.42},
		{"ramdax_setup_errors", nil, 1},
		{"ramdax_region_size_bytes", map[string]string{"region": "region0"}, 256 << 20},
		{"ramdax_region_available_bytes", map[string]string{"region": "region0"}, 64 << 20},
		{"ramdax_region_numa_node", map[string]string{"region": "region0"}, 1},
		{"ramdax_namespace_size_bytes", map[string]string{"name": "db", "mode": "fsdax", "state": Created}, 128 << 20},
		{"ramdax_namespace_size_bytes", map[string]string{"name": `odd"name\`}, 64 << 20},
		{"ramdax_namespaces", map[string]string{"outcome": Created}, 1},
		{"ramdax_namespaces", map[string]string{"outcome": Kept}, 1},
		{"ramdax_namespaces", map[string]string{"outcome": Conflict}, 0},
		{"ramdax_namespaces", map[string]string{"outcome": "error"}, 1},
		{"ramdax_service_restarts_total", map[string]string{"service": "counter"}, 3},
		{"ramdax_service_up", map[string]string{"service": "counter"}, 0},
	} {
		if got := value(t, f, c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if n := len(f["ramdax_region_numa_node"].GetMetric()); n != 1 {
		t.Errorf("ramdax_region_numa_node has %d samples, want 1: region1's node is unknown", n)
	}
	if got := f["ramdax_service_restarts_total"].GetType(); got != dto.MetricType_COUNTER {
		t.Errorf("ramdax_service_restarts_total is a %v, want a counter", got)
	}
}

func TestMetricsWithoutServices(t *testing.T) {
	f := parseMetrics(t, Metrics(&Status{}))
	if _, ok := f["ramdax_service_restarts_total"]; ok {
		t.Error("an image with no services has service metrics")
	}
	if got := value(t, f, "ramdax_ready", nil); got != 0 {
		t.Errorf("ramdax_ready = %v before setup ends, want 0", got)
	}
}

func TestWriteMetricsLeavesOnlyProm(t *testing.T) {
	path := filepath.Join(t.TempDir(), "metrics.prom")
	if err := WriteMetrics(path, &Status{Ready: true}); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 || entries[0].Name() != "metrics.prom" {
		t.Errorf("directory holds %v, want metrics.prom alone", entries)
	}
}

// BenchmarkMetrics times the metrics of 256 namespaces, which ramdaxinit
// writes before its ready line.
func BenchmarkMetrics(b *testing.B) {
	st := &Status{Ready: true, Regions: []Region{{Dev: "region0", Size: 4 << 30}}}
	for i := range 256 {
		st.Namespaces = append(st.Namespaces, Entry{Name: "ns" + strconv.Itoa(i), Mode: "raw", State: Created, Size: 16 << 20})
	}
	for b.Loop() {
		Metrics(st)
	}
}
