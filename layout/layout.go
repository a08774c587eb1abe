package layout

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Then is what the appliance does once the namespaces are set up.
type Then string

// The ramdax.then= values.
const (
	ThenShell      Then = "shell" // the default
	ThenPoweroff   Then = "poweroff"
	ThenReboot     Then = "reboot"
	ThenSwitchRoot Then = "switch_root"
	ThenKexec      Then = "kexec" // the OS installed on the node's disks
)

var thens = []Then{ThenShell, ThenPoweroff, ThenReboot, ThenSwitchRoot, ThenKexec}

// Layout is everything the command line says about persistent memory.
type Layout struct {
	// Carveouts are the memmap=SIZE!START ranges by start address, so
	// Carveouts[N] becomes regionN.
	Carveouts []Carveout
	// Namespaces are the ramdax.ns= parameters in command-line order.
	Namespaces []Namespace
	// Reset names the namespaces to destroy and create again; ResetAll
	// means all of them.
	Reset    []string
	ResetAll bool
	Then     Then
	// Root is the value of the last root=, untouched; RootNamespace says
	// whether it names one of ours.
	Root  string
	Debug bool
	// RootOptions are the kernel's other root parameters, for a
	// switch_root to a disk.
	RootOptions RootOptions
	// Boot is the label of the boot entry ramdax.then=kexec boots, from
	// ramdax.boot=; empty for the default entry.
	Boot string
	// IP is the value of the last ip=, and BootIF of BOOTIF= (the MAC
	// address a PXE loader booted from), untouched: package network
	// reads them.
	IP, BootIF string
	// ServiceArgs are the ramdax.svc.NAME= arguments by service name,
	// added after the image's own arguments for that service.
	ServiceArgs map[string][]string
	// Rejected maps the name of each ramdax.ns that was left out of
	// Namespaces, for a problem, to that problem: the namespace is still
	// declared, and one of that name on the labels is not unmanaged.
	Rejected map[string]string
}

// RootOptions are rootfstype=, rootflags=, ro or rw, rootwait[=SECONDS],
// rootdelay=SECONDS and init=, as the kernel reads them: the last one of
// each wins.
type RootOptions struct {
	FSType, Flags, Init string
	// Access is "ro", "rw", or "" when neither was given.
	Access string
	// Wait bounds the wait for the root device: 0 for the appliance's
	// default, -1 for rootwait without a value.
	Wait  time.Duration
	Delay time.Duration
}

// RootNamespace returns NAME when root=ramdax:NAME.
func (l *Layout) RootNamespace() (string, bool) {
	return strings.CutPrefix(l.Root, rootPrefix)
}

// Namespace returns the namespace called name.
func (l *Layout) Namespace(name string) (Namespace, bool) {
	i := slices.IndexFunc(l.Namespaces, func(ns Namespace) bool { return ns.Name == name })
	if i < 0 {
		return Namespace{}, false
	}
	return l.Namespaces[i], true
}

// Hints returns one line per carveout whose size wastes space.
func (l *Layout) Hints() []string {
	var hints []string
	for _, c := range l.Carveouts {
		if h := c.Hint(); h != "" {
			hints = append(hints, h)
		}
	}
	return hints
}

const rootPrefix = "ramdax:"

// Parse reads the layout from a kernel command line, such as the contents
// of /proc/cmdline. Parameters that are not ours are skipped.
//
// Parse always returns a Layout. A parameter with a problem is left out of
// it and reported in the error, which is an Errors with one *ParamError
// per problem, so that early boot can still bring up what is valid.
func Parse(cmdline string) (*Layout, error) {
	return parse(splitArgs(cmdline))
}

func parse(args []arg) (*Layout, error) {
	p := &parser{l: &Layout{Then: ThenShell}, declared: map[string]declaration{}, restWhere: map[string]bool{}}
	for _, a := range args {
		p.arg(a)
	}
	p.finish()
	return p.l, p.errs.err()
}

type parser struct {
	l         *Layout
	errs      Errors
	declared  map[string]declaration // by namespace name
	restWhere map[string]bool        // Where of each rest namespace: one per region or node
	thenFrom  *arg                   // the ramdax.then= that set l.Then
	debugFrom *arg                   // the ramdax.debug that set l.Debug
}

// declaration is the ramdax.ns that first declared a name.
type declaration struct {
	a  arg
	ns Namespace
}

func (p *parser) fail(a arg, reason, hint string) {
	p.errs = append(p.errs, &ParamError{Param: a.param, Value: a.value, Reason: reason, Hint: hint, Source: a.source})
}

// reject records that the ramdax.ns named name was left out, and why.
func (p *parser) reject(name, reason string) {
	if p.l.Rejected == nil {
		p.l.Rejected = map[string]string{}
	}
	p.l.Rejected[name] = reason
}

// ramdaxParams handles each ramdax.* parameter.
var ramdaxParams = map[string]func(*parser, arg){
	"ramdax.ns":    (*parser).namespace,
	"ramdax.reset": (*parser).reset,
	"ramdax.then":  (*parser).then,
	"ramdax.debug": (*parser).debug,
	"ramdax.boot":  (*parser).boot,
}

var ramdaxParamOrder = []string{"ramdax.ns", "ramdax.reset", "ramdax.then", "ramdax.boot", "ramdax.debug", servicePrefix + "NAME"}

// servicePrefix starts the parameters that give a service its per-node
// arguments.
const servicePrefix = "ramdax.svc."

func (p *parser) arg(a arg) {
	switch {
	case a.param == "memmap" && a.hasValue:
		cs, errs := parseMemmap(a.value)
		p.l.Carveouts = append(p.l.Carveouts, cs...)
		p.errs = append(p.errs, errs...)
	case a.param == "root" && a.hasValue:
		p.l.Root = a.value // the last root= wins, as in the kernel
	case rootParams[a.param] != nil:
		rootParams[a.param](p, a)
	case a.param == "ip" && a.hasValue:
		p.l.IP = a.value // the last one wins, as for root=
	case a.param == "BOOTIF" && a.hasValue:
		p.l.BootIF = a.value
	case strings.HasPrefix(a.param, servicePrefix):
		p.serviceArgs(a)
	case strings.HasPrefix(a.param, "ramdax."):
		handle, known := ramdaxParams[a.param]
		if !known {
			// Most likely a typo, which would otherwise silently drop part of the layout.
			p.fail(a, "unknown parameter", "want "+orList(ramdaxParamOrder))
			return
		}
		handle(p, a)
	}
}

// rootParams read the kernel's root parameters besides root=.
var rootParams = map[string]func(*parser, arg){
	"rootfstype": func(p *parser, a arg) { p.l.RootOptions.FSType = a.value },
	"rootflags":  func(p *parser, a arg) { p.l.RootOptions.Flags = a.value },
	"init":       func(p *parser, a arg) { p.l.RootOptions.Init = a.value },
	"ro":         func(p *parser, a arg) { p.l.RootOptions.Access = "ro" },
	"rw":         func(p *parser, a arg) { p.l.RootOptions.Access = "rw" },
	"rootwait": func(p *parser, a arg) {
		if !a.hasValue {
			p.l.RootOptions.Wait = -1
			return
		}
		p.l.RootOptions.Wait = p.seconds(a)
	},
	"rootdelay": func(p *parser, a arg) { p.l.RootOptions.Delay = p.seconds(a) },
}

// seconds reads a whole number of seconds, as rootwait= and rootdelay=
// take; 0 on an error, which it records.
func (p *parser) seconds(a arg) time.Duration {
	n, err := strconv.ParseUint(a.value, 10, 16)
	if err != nil {
		p.fail(a, "not a whole number of seconds", "write "+a.param+"=SECONDS, like "+a.param+"=10")
		return 0
	}
	return time.Duration(n) * time.Second
}

// serviceArgs reads ramdax.svc.NAME=ARGS: ARGS split at spaces, as a
// shell would without quotes. Repeated parameters add up.
func (p *parser) serviceArgs(a arg) {
	name := strings.TrimPrefix(a.param, servicePrefix)
	switch {
	case !validServiceName(name):
		p.fail(a, fmt.Sprintf("service name %q is not a command name", name), "write ramdax.svc.NAME=ARGS, NAME made of letters, digits, '-', '_' and '.'")
	case !a.hasValue:
		p.fail(a, "no arguments", "write ramdax.svc."+name+"=ARGS, quoted when there are spaces: ramdax.svc."+name+"=\"-a 1 -b 2\"")
	default:
		if p.l.ServiceArgs == nil {
			p.l.ServiceArgs = map[string][]string{}
		}
		p.l.ServiceArgs[name] = append(p.l.ServiceArgs[name], strings.Fields(a.value)...)
	}
}

func validServiceName(name string) bool {
	return name != "" && strings.Trim(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") == ""
}

func (p *parser) namespace(a arg) {
	ns, reason, hint := parseNamespace(a.value)
	first, taken := p.declared[ns.Name]
	switch {
	case reason != "":
		p.fail(a, reason, hint)
		if ns.Name != "" && !taken {
			p.reject(ns.Name, reason)
		}
	case taken && first.a.onCommandLine() == a.onCommandLine():
		p.fail(a, fmt.Sprintf("NAME %q is already taken by an earlier ramdax.ns", ns.Name), "give each namespace its own name")
	case taken && reflect.DeepEqual(first.ns, ns):
		// The same namespace in both sources: declared once.
	case taken:
		p.conflict(first, a)
	case ns.Rest && p.restWhere[ns.Where()]:
		p.fail(a, fmt.Sprintf("%s already has a namespace of SIZE rest", ns.Where()), "give one of them a size")
	default:
		p.declared[ns.Name] = declaration{a, ns}
		p.restWhere[ns.Where()] = ns.Rest || p.restWhere[ns.Where()]
		p.l.Namespaces = append(p.l.Namespaces, ns)
	}
}

// conflict drops a namespace that the command line and a bootconfig
// declare differently: neither is more likely to be what was meant, so
// nothing is created or destroyed for that name.
func (p *parser) conflict(first declaration, a arg) {
	name := first.ns.Name
	p.fail(a, fmt.Sprintf("NAME %q is declared differently %s (%s) and %s (%s)", name, first.a.where(), first.a.value, a.where(), a.value),
		"keep one of the two, or make them the same")
	p.l.Namespaces = slices.DeleteFunc(p.l.Namespaces, func(ns Namespace) bool { return ns.Name == name })
	p.reject(name, "declared differently on the command line and in a bootconfig")
}

// conflicting reports a scalar parameter that the command line and a
// bootconfig set to different values. Within one source the last one
// wins, as the kernel's own parameters do, so a boot loader can append
// an override.
func conflicting(prev *arg, a arg) bool {
	return prev != nil && prev.onCommandLine() != a.onCommandLine() && prev.value != a.value
}

func (p *parser) conflictingScalar(prev *arg, a arg, fallback string) {
	p.fail(a, fmt.Sprintf("set to %q %s and to %q %s", prev.value, prev.where(), a.value, a.where()),
		"keep one of the two; meanwhile "+fallback)
}

// reset reads ramdax.reset=; repeated parameters add up.
func (p *parser) reset(a arg) {
	if a.value == "all" {
		p.l.ResetAll = true
		return
	}
	for name := range strings.SplitSeq(a.value, ",") {
		if name == "all" {
			p.fail(a, "all cannot be mixed with names", "write ramdax.reset=all alone, or list the names")
			return
		}
		if reason, hint := checkName("NAME", name); reason != "" {
			p.fail(a, reason, hint+"; the form is NAME[,NAME…] or all")
			return
		}
	}
	for name := range strings.SplitSeq(a.value, ",") {
		if !slices.Contains(p.l.Reset, name) {
			p.l.Reset = append(p.l.Reset, name)
		}
	}
}

// then reads ramdax.then=. When the two sources disagree, the appliance
// starts a shell: it keeps a console and changes nothing.
func (p *parser) then(a arg) {
	if !slices.Contains(thens, Then(a.value)) {
		names := make([]string, len(thens))
		for i, t := range thens {
			names[i] = string(t)
		}
		p.fail(a, "want "+orList(names), "")
		return
	}
	if conflicting(p.thenFrom, a) {
		p.conflictingScalar(p.thenFrom, a, "the appliance starts a shell")
		p.l.Then = ThenShell
		return
	}
	p.thenFrom = &a
	p.l.Then = Then(a.value)
}

// boot reads ramdax.boot=LABEL; the last one wins.
func (p *parser) boot(a arg) {
	if a.value == "" {
		p.fail(a, "no boot entry named", "write ramdax.boot=LABEL, the title of the entry to kexec, or leave it out for the default")
		return
	}
	p.l.Boot = a.value
}

// debug reads ramdax.debug, which is true when present without a value.
func (p *parser) debug(a arg) {
	on, ok := debugValue(a)
	switch {
	case !ok:
		p.fail(a, "want no value, 1, 0, true or false", "")
	case p.debugFrom != nil && p.debugFrom.onCommandLine() != a.onCommandLine() && p.l.Debug != on:
		p.conflictingScalar(p.debugFrom, a, "debug output is on")
		p.l.Debug = true
	default:
		p.debugFrom = &a
		p.l.Debug = on
	}
}

func debugValue(a arg) (on, ok bool) {
	if !a.hasValue {
		return true, true
	}
	switch strings.ToLower(a.value) {
	case "1", "true", "y", "yes", "on":
		return true, true
	case "0", "false", "n", "no", "off":
		return false, true
	}
	return false, false
}

// finish checks what only the whole line can tell.
func (p *parser) finish() {
	p.errs = append(p.errs, sortCarveouts(p.l.Carveouts)...)
	p.checkFit()
	p.checkReset()
	p.checkRoot()
}

// checkFit drops namespaces that cannot fit the carveouts on the line.
// Without carveouts there is nothing to check against: the regions may
// come from firmware, and Plan checks at boot. Namespaces placed by node=
// are left to Plan too: only the firmware knows which node a carveout is on.
func (p *parser) checkFit() {
	if len(p.l.Carveouts) == 0 {
		return
	}
	available := map[int]uint64{}
	for i, c := range p.l.Carveouts {
		available[i] = c.Usable()
	}
	_, errs := fit(p.l.Namespaces, available)
	var kept []Namespace
	for i, ns := range p.l.Namespaces {
		if errs[i] != nil {
			errs[i].Source = p.declared[ns.Name].a.source
			p.errs = append(p.errs, errs[i])
			p.reject(ns.Name, errs[i].Reason)
			continue
		}
		kept = append(kept, ns)
	}
	p.l.Namespaces = kept
}

// checkReset refuses to reset a namespace the line does not declare: it
// would be destroyed and not made again, which is never what a typo meant.
func (p *parser) checkReset() {
	if p.l.ResetAll {
		p.l.Reset = nil
		return
	}
	var kept []string
	for _, name := range p.l.Reset {
		if _, ok := p.l.Namespace(name); !ok {
			reason, hint := p.undeclared(name)
			p.errs = append(p.errs, &ParamError{Param: "ramdax.reset", Value: name, Reason: reason, Hint: hint})
			continue
		}
		kept = append(kept, name)
	}
	p.l.Reset = kept
}

// undeclared explains why name is not a namespace of the layout, and
// suggests a declared name that differs only in case.
func (p *parser) undeclared(name string) (reason, hint string) {
	if _, ok := p.l.Rejected[name]; ok {
		return fmt.Sprintf("the ramdax.ns for %q has a problem (see above)", name), "fix that ramdax.ns"
	}
	for _, ns := range p.l.Namespaces {
		if strings.EqualFold(ns.Name, name) {
			return fmt.Sprintf("no ramdax.ns declares %q", name), fmt.Sprintf("did you mean %s? names are case-sensitive", ns.Name)
		}
	}
	return fmt.Sprintf("no ramdax.ns declares %q", name), "declare it, like ramdax.ns=" + safeName(name) + ":fsdax:2G:fs=ext4"
}

// checkRoot makes sure that switch_root has something to switch to. When
// it has not, the appliance falls back to a shell rather than panicking.
func (p *parser) checkRoot() {
	if name, ours := p.l.RootNamespace(); ours {
		if reason, hint := p.rootProblem(name); reason != "" {
			p.errs = append(p.errs, &ParamError{Param: "root", Value: p.l.Root, Reason: reason, Hint: hint})
			p.l.Root = ""
		}
	}
	if p.l.Then == ThenSwitchRoot && p.l.Root == "" {
		p.errs = append(p.errs, &ParamError{Param: "ramdax.then", Value: string(ThenSwitchRoot),
			Reason: "no usable root=, so the appliance starts a shell instead", Hint: "add root=ramdax:NAME naming a fsdax namespace with fs= or mount="})
		p.l.Then = ThenShell
	}
}

func (p *parser) rootProblem(name string) (reason, hint string) {
	ns, ok := p.l.Namespace(name)
	switch {
	case !ok:
		return p.undeclared(name)
	case ns.Mode != FSDAX:
		return fmt.Sprintf("%s is %s, and only fsdax holds a filesystem", name, ns.Mode), "make it fsdax with fs="
	case ns.FS == "" && ns.Mount == "":
		return fmt.Sprintf("%s has neither fs= nor mount=, so there may be no filesystem to switch to", name), "add fs=ext4 or fs=xfs"
	}
	return "", ""
}

// safeName returns name when it is a valid NAME, for use in examples.
func safeName(name string) string {
	if reason, _ := checkName("", name); reason != "" {
		return "NAME"
	}
	return name
}

// Format writes the layout as a command line that Parse reads back into
// the same Layout: carveouts by address, namespaces in order, defaults
// left out, root= last.
func Format(l *Layout) string {
	var params []string
	for _, c := range l.Carveouts {
		params = append(params, c.String())
	}
	for _, ns := range l.Namespaces {
		params = append(params, writeParam("ramdax.ns", ns.String()))
	}
	if l.ResetAll {
		params = append(params, "ramdax.reset=all")
	} else if len(l.Reset) > 0 {
		params = append(params, "ramdax.reset="+strings.Join(l.Reset, ","))
	}
	if l.Then != ThenShell && l.Then != "" {
		params = append(params, "ramdax.then="+string(l.Then))
	}
	if l.Boot != "" {
		params = append(params, writeParam("ramdax.boot", l.Boot))
	}
	if l.Debug {
		params = append(params, "ramdax.debug")
	}
	for _, name := range slices.Sorted(maps.Keys(l.ServiceArgs)) {
		if args := l.ServiceArgs[name]; len(args) > 0 {
			params = append(params, writeParam(servicePrefix+name, strings.Join(args, " ")))
		}
	}
	params = append(params, l.RootOptions.params()...)
	if l.IP != "" {
		params = append(params, writeParam("ip", l.IP))
	}
	if l.BootIF != "" {
		params = append(params, writeParam("BOOTIF", l.BootIF))
	}
	if l.Root != "" {
		// Last, because a root= value may hold an unbalanced quote, which
		// would swallow whatever followed it.
		params = append(params, writeParam("root", l.Root))
	}
	return strings.Join(params, " ")
}

// String is Format(l).
func (l *Layout) String() string { return Format(l) }

// writeParam writes param=value so that the kernel reads back exactly
// value: plainly when it can, in double quotes when the value has spaces.
// A value that holds quotes (only root= can) is tried in each form whose
// quotes the kernel's next_arg strips, and the first that splits back to
// it wins. Forms that leave a quote open are tried last and only hold at
// the end of the line, which is where Format puts root=.
func writeParam(param, value string) string {
	want := arg{param: param, value: value, hasValue: true}
	next := arg{param: "x"}
	var forms []string
	for _, prefix := range []string{param + "=", param + `="`, `"` + param + "=", `"` + param + `="`} {
		for _, suffix := range []string{"", `"`} {
			forms = append(forms, prefix+value+suffix)
		}
	}
	for _, written := range forms {
		if reflect.DeepEqual(splitArgs(written+" x"), []arg{want, next}) {
			return written
		}
	}
	for _, written := range forms {
		if reflect.DeepEqual(splitArgs(written), []arg{want}) {
			return written
		}
	}
	return param + `="` + value + `"` // not reached for values that came from splitArgs
}

// params are o as kernel parameters, defaults left out.
func (o RootOptions) params() []string {
	var params []string
	for _, kv := range [][2]string{{"rootfstype", o.FSType}, {"rootflags", o.Flags}, {"init", o.Init}} {
		if kv[1] != "" {
			params = append(params, writeParam(kv[0], kv[1]))
		}
	}
	if o.Access != "" {
		params = append(params, o.Access)
	}
	switch {
	case o.Wait < 0:
		params = append(params, "rootwait")
	case o.Wait > 0:
		params = append(params, fmt.Sprintf("rootwait=%d", o.Wait/time.Second))
	}
	if o.Delay > 0 {
		params = append(params, fmt.Sprintf("rootdelay=%d", o.Delay/time.Second))
	}
	return params
}
