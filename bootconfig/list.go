package bootconfig

import (
	"strings"
)

// List renders kvs as the kernel lists them in /proc/bootconfig.
func List(kvs []KeyValue) string {
	var b strings.Builder
	for _, kv := range kvs {
		b.WriteString(kv.Key + " = ")
		if len(kv.Values) == 0 {
			b.WriteString(`""` + "\n")
			continue
		}
		for i, v := range kv.Values {
			q := `"`
			if strings.Contains(v.Text, `"`) {
				q = "'"
			}
			b.WriteString(q + v.Text + q)
			if i < len(kv.Values)-1 {
				b.WriteString(", ")
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}
