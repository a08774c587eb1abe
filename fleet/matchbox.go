package fleet

import (
	"path"

	"github.com/ramdax/appliance/release"
)

// Profile is a Matchbox profile as its file store reads it from
// profiles/ID.json: the fields of Matchbox's storagepb.Profile that a
// network boot uses (ignition_id, cloud_id and generic_id stay unset).
type Profile struct {
	ID   string  `json:"id"`
	Name string  `json:"name"`
	Boot NetBoot `json:"boot"`
}

// NetBoot is a Matchbox profile's boot: what Matchbox renders into the
// iPXE script of the machines the profile's groups select.
type NetBoot struct {
	Kernel string   `json:"kernel"`
	Initrd []string `json:"initrd"`
	Args   []string `json:"args"`
}

// Group is a Matchbox group as its file store reads it from
// groups/ID.json: it selects machines by MAC and boots them with Profile.
// A group without a selector is the default group.
type Group struct {
	ID       string            `json:"id"`
	Name     string            `json:"name"`
	Profile  string            `json:"profile"`
	Selector map[string]string `json:"selector,omitempty"`
	Metadata map[string]string `json:"metadata,omitempty"`
}

// AssetsDir is where, under Matchbox's assets directory, the profiles
// find the kernel and the initramfs; Matchbox serves it at /assets/.
const AssetsDir = "ramdax"

// Ids of profiles and groups, also their file names: one profile per
// class, one group per node, and one profile per node with a layout of
// its own under the node's group id.
func classID(class string) string { return "class-" + class }
func nodeID(node string) string   { return "node-" + node }

const defaultID = "default"

// MatchboxProfiles are the profiles of the fleet: one per class, in file
// order, then one per node with a layout of its own, then the default's
// when it has a layout of its own.
func MatchboxProfiles(inv *Inventory) []Profile {
	var ps []Profile
	for _, c := range inv.Classes {
		ps = append(ps, profile(classID(c.Name), "RAMDAX appliance, class "+c.Name, c.Layout))
	}
	for _, n := range inv.Nodes {
		if n.Class == "" {
			ps = append(ps, profile(nodeID(n.Name), "RAMDAX appliance, node "+n.Name, n.Layout))
		}
	}
	if d := inv.Default; d != nil && d.Class == "" {
		ps = append(ps, profile(defaultID, "RAMDAX appliance, the default layout", d.Layout))
	}
	return ps
}

// profile boots lay. Matchbox renders each of Initrd as an initrd line,
// in order, so a bootconfig initrd listed last ends the combined initrd.
func profile(id, name, lay string) Profile {
	assets := path.Join("/assets", AssetsDir)
	b := splitLayout(lay)
	p := Profile{ID: id, Name: name, Boot: NetBoot{
		Kernel: path.Join(assets, release.KernelFile),
		Initrd: []string{path.Join(assets, release.InitramfsFile)},
		Args:   KernelArgs(b.Cmdline),
	}}
	if b.Bootconfig != "" {
		p.Boot.Initrd = append(p.Boot.Initrd, path.Join(assets, BootconfigFile(id)))
		p.Boot.Args = append(p.Boot.Args, "initrd="+BootconfigFile(id))
	}
	return p
}

// MatchboxGroups are the groups of the fleet: one per node, selecting its
// MAC, then the default group, without a selector, when the inventory has
// a default.
func MatchboxGroups(inv *Inventory) []Group {
	var gs []Group
	for _, n := range inv.Nodes {
		g := Group{ID: nodeID(n.Name), Name: "node " + n.Name, Profile: nodeID(n.Name),
			Selector: map[string]string{"mac": n.MAC.String()}, Metadata: map[string]string{"node": n.Name}}
		if n.Class != "" {
			g.Profile, g.Metadata["class"] = classID(n.Class), n.Class
		}
		gs = append(gs, g)
	}
	if d := inv.Default; d != nil {
		g := Group{ID: defaultID, Name: "machines the inventory does not list", Profile: defaultID}
		if d.Class != "" {
			g.Profile, g.Metadata = classID(d.Class), map[string]string{"class": d.Class}
		}
		gs = append(gs, g)
	}
	return gs
}
