package fleet

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ramdax/appliance/layout"
)

// The Matchbox schema, written from its documentation rather than from
// this package's types: every field of storagepb.Profile, NetBoot and
// Group (matchbox/storage/storagepb/storage.proto, and the JSON examples
// of docs/matchbox.md, where metadata is an object). Decoding the
// generated files into these with unknown fields refused catches a
// misspelt or invented field; the checks below add what Matchbox's
// AssertValid and Normalize require. Importing Matchbox itself would pull
// its whole dependency tree (Ignition, Butane, gRPC, the AWS SDK) into
// go.mod for three small structs, and its parsers accept unknown fields.
type (
	schemaProfile struct {
		ID         string         `json:"id"`
		Name       string         `json:"name"`
		IgnitionID string         `json:"ignition_id"`
		CloudID    string         `json:"cloud_id"`
		GenericID  string         `json:"generic_id"`
		Boot       *schemaNetBoot `json:"boot"`
	}
	schemaNetBoot struct {
		Kernel string   `json:"kernel"`
		Initrd []string `json:"initrd"`
		Args   []string `json:"args"`
	}
	schemaGroup struct {
		ID       string            `json:"id"`
		Name     string            `json:"name"`
		Profile  string            `json:"profile"`
		Selector map[string]string `json:"selector"`
		Metadata map[string]any    `json:"metadata"`
	}
)

// decodeStrict decodes one JSON value from the file at path into v,
// refusing unknown fields and trailing data.
func decodeStrict(t *testing.T, path string, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader([]byte(readFile(t, path))))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s is not a Matchbox document: %v", path, err)
	}
	if dec.More() {
		t.Fatalf("%s: data after the JSON object", path)
	}
}

func readProfiles(t *testing.T, dir string) map[string]schemaProfile {
	t.Helper()
	profiles := map[string]schemaProfile{}
	files, _ := filepath.Glob(filepath.Join(dir, "profiles", "*.json"))
	for _, path := range files {
		var p schemaProfile
		decodeStrict(t, path, &p)
		if p.ID == "" || p.ID+".json" != filepath.Base(path) {
			t.Errorf("%s: id %q; Matchbox's file store finds profile ID in profiles/ID.json", path, p.ID)
		}
		profiles[p.ID] = p
	}
	return profiles
}

func TestMatchboxProfilesAndGroupsFollowTheSchema(t *testing.T) {
	out := writeTestFleet(t, testInventory+"node db2 52:54:00:fe:00:02 db\n")
	dir := filepath.Join(out, MatchboxDir)
	profiles := readProfiles(t, dir)
	if len(profiles) != 2 {
		t.Errorf("want one profile for class db and one for lab7's own layout, got %d", len(profiles))
	}
	for id, p := range profiles {
		checkProfileBoot(t, dir, id, p)
	}
	groups, _ := filepath.Glob(filepath.Join(dir, "groups", "*.json"))
	defaults := 0
	for _, path := range groups {
		var g schemaGroup
		decodeStrict(t, path, &g)
		switch _, ok := profiles[g.Profile]; {
		case g.ID == "" || g.ID+".json" != filepath.Base(path):
			t.Errorf("%s: id %q; Matchbox's file store finds group ID in groups/ID.json", path, g.ID)
		case !ok:
			t.Errorf("%s: profile %q does not exist", path, g.Profile)
		}
		if len(g.Selector) == 0 {
			defaults++
			continue
		}
		// Matchbox normalizes a mac selector with net.ParseMAC and matches
		// the normalized form: ours must be that form already.
		if m, err := net.ParseMAC(g.Selector["mac"]); err != nil || len(g.Selector) != 1 || m.String() != g.Selector["mac"] {
			t.Errorf("%s: selector %v: want one normalized mac", path, g.Selector)
		}
	}
	if len(groups) != 4 || defaults != 1 {
		t.Errorf("want 3 node groups and 1 default group, got %d groups with %d defaults", len(groups), defaults)
	}
}

// checkProfileBoot checks that a profile boots assets that exist with a
// command line that carries the console and a clean layout.
func checkProfileBoot(t *testing.T, dir, id string, p schemaProfile) {
	t.Helper()
	b := p.Boot
	if b == nil || len(b.Initrd) != 1 {
		t.Fatalf("profile %s: boot %+v, want a kernel and one initrd", id, b)
	}
	for _, asset := range append([]string{b.Kernel}, b.Initrd...) {
		rel, under := strings.CutPrefix(asset, "/assets/")
		if _, err := os.Stat(filepath.Join(dir, "assets", rel)); !under || err != nil {
			t.Errorf("profile %s boots %s, not in matchbox/assets: %v", id, asset, err)
		}
	}
	if len(b.Args) < 4 || b.Args[0] != "console=tty0" || b.Args[1] != "console=ttyS0" || b.Args[2] != "initrd=initramfs.cpio.lz4" {
		t.Fatalf("profile %s: args %q, want the console and initrd= first", id, b.Args)
	}
	if _, err := layout.Parse(strings.Join(b.Args, " ")); err != nil {
		t.Errorf("profile %s: args %q: %v", id, b.Args, err)
	}
}

// Matchbox renders a profile into `kernel KERNEL ARG...`; the arguments
// must be the kernel command line the node's TFTP script boots.
func TestMatchboxBootsWhatTheTFTPScriptBoots(t *testing.T) {
	out := writeTestFleet(t, testInventory)
	profiles := readProfiles(t, filepath.Join(out, MatchboxDir))
	for script, profile := range map[string]string{
		"52-54-00-fe-00-01.ipxe": "class-db",
		"52-54-00-fe-00-07.ipxe": "node-lab7",
	} {
		want := scriptCmdline(t, readFile(t, filepath.Join(out, TFTPDir, script)))
		if got := strings.Join(profiles[profile].Boot.Args, " "); got != want {
			t.Errorf("profile %s boots\n %s\nwhile %s boots\n %s", profile, got, script, want)
		}
	}
}

// scriptCmdline is the kernel command line a node script boots, with
// ${layout} expanded as iPXE expands it.
func scriptCmdline(t *testing.T, script string) string {
	t.Helper()
	var lay, kernel string
	for _, line := range strings.Split(script, "\n") {
		if v, ok := strings.CutPrefix(line, "set layout "); ok {
			lay = v
		}
		if v, ok := strings.CutPrefix(line, "kernel bzImage "); ok {
			kernel = v
		}
	}
	if lay == "" || kernel == "" {
		t.Fatalf("no layout or kernel line in:\n%s", script)
	}
	return strings.ReplaceAll(kernel, "${layout}", lay)
}
