package layout_test

import (
	"fmt"

	"github.com/ramdax/appliance/layout"
)

func ExampleParse() {
	l, err := layout.Parse(`console=ttyS0 memmap=512M!4G ramdax.ns=db:fsdax:256M:fs=ext4 ramdax.ns=logs:devdax:rest ramdax.ns=tmp:fsdax:100M`)
	for _, e := range layout.AsErrors(err) {
		fmt.Println("error:", e)
	}
	for _, h := range l.Hints() {
		fmt.Println("hint:", h)
	}
	fmt.Println(l)
	// Output:
	// error: ramdax.ns="tmp:fsdax:100M": SIZE 100M is not a multiple of 16M (the region align); use 96M or 112M
	// hint: memmap=512M!4G wastes 15.9 MiB to alignment: memmap=508032K!4G gives the same 496M, memmap=524416K!4G gives 512M
	// memmap=512M!4G ramdax.ns=db:fsdax:256M:fs=ext4 ramdax.ns=logs:devdax:rest
}
