package fleet

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/u-root/uio/cp"

	"github.com/ramdax/appliance/release"
)

// The generated tree, under the directory Write fills.
const (
	TFTPDir       = "tftp"
	DnsmasqFile   = "dnsmasq.conf"
	MatchboxDir   = "matchbox"
	generatedMark = ".pxeconfig" // marks a directory Write may replace
)

// Files are what the fleet boots and chain-loads.
type Files struct {
	Kernel    string // the appliance's kernel, build/bzImage
	Initramfs string // the appliance, build/initramfs.cpio.lz4
	IPXEDir   string // Debian's ipxe: undionly.kpxe and ipxe.efi
	// Modular says the initramfs is for a kernel without bootconfig
	// (FLAVOUR=distro): a layout too long for the command line then goes
	// to the node as /etc/ramdax/bootconfig in a cpio.
	Modular bool
}

// Write generates the fleet's boot configuration from inv into dir: the
// TFTP root, dnsmasq.conf and the Matchbox data directory. An empty
// network.TFTPRoot becomes dir's tftp/.
//
// dir is replaced as a whole, so that a node removed from the inventory
// loses its script. Write refuses a directory that exists and that it did
// not write.
func Write(dir string, inv *Inventory, files Files, network Network) error {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if err := checkReplaceable(dir); err != nil {
		return err
	}
	if network.TFTPRoot == "" {
		network.TFTPRoot = filepath.Join(dir, TFTPDir)
	}
	if err := network.check(); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+"-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp) // after a failure; renamed away otherwise
	// Readable by dnsmasq, which drops root before it serves files.
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	if err := writeTree(tmp, inv, files, network); err != nil {
		return err
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("replace %s: %w", dir, err)
	}
	return os.Rename(tmp, dir)
}

// checkReplaceable refuses a directory that exists without Write's mark.
func checkReplaceable(dir string) error {
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, generatedMark)); err != nil {
		return fmt.Errorf("%s exists and pxeconfig did not write it: remove it or choose another directory", dir)
	}
	return nil
}

func writeTree(dir string, inv *Inventory, files Files, network Network) error {
	if err := writeTFTP(filepath.Join(dir, TFTPDir), inv, files); err != nil {
		return fmt.Errorf("TFTP root: %w", err)
	}
	if err := writeMatchbox(filepath.Join(dir, MatchboxDir), inv, files); err != nil {
		return fmt.Errorf("matchbox: %w", err)
	}
	if err := writeFile(filepath.Join(dir, DnsmasqFile), DnsmasqConfig(inv, network)); err != nil {
		return err
	}
	return writeFile(filepath.Join(dir, generatedMark), "written by pxeconfig from "+inv.File+"; replaced as a whole at each run\n")
}

// writeTFTP writes the TFTP root: the appliance, iPXE and the scripts.
func writeTFTP(dir string, inv *Inventory, files Files) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := copyFiles(dir, map[string]string{
		release.KernelFile:    files.Kernel,
		release.InitramfsFile: files.Initramfs,
	}); err != nil {
		return err
	}
	if err := copyFiles(dir, map[string]string{
		UndionlyFile: filepath.Join(files.IPXEDir, UndionlyFile),
		IPXEEFIFile:  filepath.Join(files.IPXEDir, IPXEEFIFile),
	}); err != nil {
		return fmt.Errorf("%w (Debian's ipxe package; `make deps` installs it)", err)
	}
	if err := writeBootconfigs(dir, inv, files.Modular); err != nil {
		return err
	}
	scripts := map[string]string{
		BootScriptFile:    BootScript(inv),
		DefaultScriptFile: DefaultScript(inv),
	}
	for _, n := range inv.Nodes {
		scripts[ScriptFile(n.MAC)] = NodeScript(inv, n)
	}
	for name, script := range scripts {
		if err := writeFile(filepath.Join(dir, name), script); err != nil {
			return err
		}
	}
	return nil
}

// writeMatchbox writes a Matchbox data directory: profiles, groups and
// the assets the profiles boot.
func writeMatchbox(dir string, inv *Inventory, files Files) error {
	if err := copyFiles(filepath.Join(dir, "assets", AssetsDir), map[string]string{
		release.KernelFile:    files.Kernel,
		release.InitramfsFile: files.Initramfs,
	}); err != nil {
		return err
	}
	if err := writeBootconfigs(filepath.Join(dir, "assets", AssetsDir), inv, files.Modular); err != nil {
		return err
	}
	for _, p := range MatchboxProfiles(inv) {
		if err := writeJSON(filepath.Join(dir, "profiles", p.ID+".json"), p); err != nil {
			return err
		}
	}
	for _, g := range MatchboxGroups(inv) {
		if err := writeJSON(filepath.Join(dir, "groups", g.ID+".json"), g); err != nil {
			return err
		}
	}
	return nil
}

// writeBootconfigs writes the bootconfig initrd of every layout too long
// for the command line into dir.
func writeBootconfigs(dir string, inv *Inventory, modular bool) error {
	for id, lay := range layouts(inv) {
		b := splitLayout(lay)
		if b.Bootconfig == "" {
			continue
		}
		// Loaded last, it ends the combined initrd, where the kernel
		// looks for a bootconfig.
		initrd, err := release.LayoutInitrd(b.Bootconfig, modular, 0)
		if err != nil {
			return fmt.Errorf("%s: %w", id, err)
		}
		if err := os.WriteFile(filepath.Join(dir, BootconfigFile(id)), initrd, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// layouts are the inventory's layouts by id: each class's, each node's
// own and the default's own.
func layouts(inv *Inventory) map[string]string {
	m := map[string]string{}
	for _, c := range inv.Classes {
		m[classID(c.Name)] = c.Layout
	}
	for _, n := range inv.Nodes {
		if n.Class == "" {
			m[nodeID(n.Name)] = n.Layout
		}
	}
	if d := inv.Default; d != nil && d.Class == "" {
		m[defaultID] = d.Layout
	}
	return m
}

// copyFiles copies each source to dir/name.
func copyFiles(dir string, sources map[string]string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, src := range sources {
		if err := cp.Copy(src, filepath.Join(dir, name)); err != nil {
			return err
		}
	}
	return nil
}

func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return writeFile(path, string(data)+"\n")
}

func writeFile(path, content string) error {
	return os.WriteFile(path, []byte(content), 0o644)
}
