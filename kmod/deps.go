package kmod

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// Sentinel errors callers may branch on.
var (
	// ErrUnknown: the module is neither in modules.dep nor built in.
	ErrUnknown = errors.New("module not in modules.dep or modules.builtin")
	// ErrForbidden: the module, or one it needs, is in Forbidden.
	ErrForbidden = errors.New("module must not be loaded")
	// ErrCycle: modules.dep has a dependency cycle.
	ErrCycle = errors.New("dependency cycle")
)

// IndexFiles are the files of a modules directory, besides the modules
// themselves, that an image should carry. [Load] reads modules.dep and
// modules.builtin; modules.alias and modules.softdep are small and let a
// modprobe in a debug shell resolve names. Files the directory lacks are
// left out, except modules.dep, which is required.
var IndexFiles = []string{"modules.dep", "modules.builtin", "modules.alias", "modules.softdep"}

// Module is one loadable module: its name as the kernel knows it and its
// file, relative to the modules directory.
type Module struct {
	Name string
	Path string
}

// Deps is a parsed modules directory: where each module's file is, what it
// needs, and which modules are built into the kernel.
type Deps struct {
	Dir     string
	path    map[string]string   // name -> file relative to Dir
	needs   map[string][]string // name -> names, in modules.dep order
	builtin map[string]bool
}

// ModName returns the kernel's name for a module file: the base name without
// .ko and compression suffix, with dashes as underscores (the kernel treats
// them alike, and /sys/module uses underscores).
func ModName(file string) string {
	n := path.Base(file)
	for _, ext := range []string{".gz", ".xz", ".zst"} {
		n = strings.TrimSuffix(n, ext)
	}
	n = strings.TrimSuffix(n, ".ko")
	return strings.ReplaceAll(n, "-", "_")
}

// ReadDeps reads modules.dep and, if present, modules.builtin from dir.
func ReadDeps(dir string) (*Deps, error) {
	d := &Deps{Dir: dir, path: map[string]string{}, needs: map[string][]string{}, builtin: map[string]bool{}}
	if err := readFile(filepath.Join(dir, "modules.dep"), d.parseDep); err != nil {
		return nil, err
	}
	err := readFile(filepath.Join(dir, "modules.builtin"), d.parseBuiltin)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	return d, nil
}

func readFile(name string, parse func(io.Reader) error) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := parse(f); err != nil {
		return fmt.Errorf("parse %s: %w", name, err)
	}
	return nil
}

// parseDep reads depmod's "file: dep dep ..." lines. depmod lists every
// module a module needs, directly or not.
func (d *Deps) parseDep(r io.Reader) error {
	s := bufio.NewScanner(r)
	for n := 1; s.Scan(); n++ {
		line := strings.TrimSpace(s.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		file, deps, ok := strings.Cut(line, ":")
		if !ok {
			return fmt.Errorf("line %d: no colon in %q", n, line)
		}
		name := ModName(file)
		d.path[name] = file
		d.needs[name] = nil
		for _, dep := range strings.Fields(deps) {
			d.needs[name] = append(d.needs[name], ModName(dep))
		}
	}
	return s.Err()
}

// parseBuiltin reads modules.builtin, one module file per line.
func (d *Deps) parseBuiltin(r io.Reader) error {
	s := bufio.NewScanner(r)
	for s.Scan() {
		if line := strings.TrimSpace(s.Text()); line != "" {
			d.builtin[ModName(line)] = true
		}
	}
	return s.Err()
}

// Builtin reports whether modules.builtin lists the module.
func (d *Deps) Builtin(name string) bool {
	return d.builtin[ModName(name)]
}

// Modules returns those of names that modules.dep lists: the ones this
// kernel has as loadable modules, not built in and not missing.
func (d *Deps) Modules(names ...string) []string {
	var mods []string
	for _, n := range names {
		if _, ok := d.path[ModName(n)]; ok {
			mods = append(mods, n)
		}
	}
	return mods
}

// Order returns the modules to load for names, each after the modules it
// needs, each once. Built-in modules are left out.
func (d *Deps) Order(names ...string) ([]Module, error) {
	return d.order(func(string) bool { return false }, names...)
}

// order is Order for a running kernel: modules it already has count as
// satisfied, together with what they needed, even if modules.dep lacks them.
func (d *Deps) order(have func(name string) bool, names ...string) ([]Module, error) {
	o := orderer{d: d, have: have, state: map[string]int{}}
	for _, n := range names {
		if err := o.visit(ModName(n), nil); err != nil {
			return nil, err
		}
	}
	return o.out, nil
}

// orderer is a depth-first walk over modules.dep.
type orderer struct {
	d     *Deps
	have  func(name string) bool
	state map[string]int // 0 unseen, 1 on the current path, 2 done
	out   []Module
}

func (o *orderer) visit(name string, chain []string) error {
	chain = append(chain, name)
	switch {
	case o.state[name] == 2:
		return nil
	case o.have(name):
		o.state[name] = 2
		return nil
	case o.state[name] == 1:
		return fmt.Errorf("%w: %s", ErrCycle, strings.Join(chain, " -> "))
	case slices.Contains(Forbidden, name):
		return fmt.Errorf("%w: %s", ErrForbidden, strings.Join(chain, " -> "))
	}
	file, ok := o.d.path[name]
	if !ok {
		if o.d.builtin[name] {
			o.state[name] = 2
			return nil
		}
		return fmt.Errorf("%w: %s (in %s)", ErrUnknown, strings.Join(chain, " -> "), o.d.Dir)
	}
	o.state[name] = 1
	// depmod puts the deepest dependency last; modprobe loads from the end.
	needs := o.d.needs[name]
	for i := len(needs) - 1; i >= 0; i-- {
		if err := o.visit(needs[i], chain); err != nil {
			return err
		}
	}
	o.state[name] = 2
	o.out = append(o.out, Module{Name: name, Path: file})
	return nil
}

// Closure returns the files, relative to modulesDir, an image must carry to
// load names and their dependencies with [Load]: the index files first, then
// the modules in load order. It fails if a file is missing.
func Closure(modulesDir string, names ...string) ([]string, error) {
	d, err := ReadDeps(modulesDir)
	if err != nil {
		return nil, err
	}
	mods, err := d.Order(names...)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, f := range IndexFiles {
		if _, err := os.Stat(filepath.Join(modulesDir, f)); err == nil {
			files = append(files, f)
		}
	}
	for _, m := range mods {
		if _, err := os.Stat(filepath.Join(modulesDir, m.Path)); err != nil {
			return nil, fmt.Errorf("module %s: %w", m.Name, err)
		}
		files = append(files, m.Path)
	}
	return files, nil
}

// names returns the modules' names.
func names(mods []Module) []string {
	n := make([]string, len(mods))
	for i, m := range mods {
		n[i] = m.Name
	}
	return n
}
