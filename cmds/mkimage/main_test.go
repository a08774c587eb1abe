package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/ramdax/appliance/image"
)

func TestParseDefaultsToEveryArtifact(t *testing.T) {
	c, err := parse([]string{"mkimage"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.artifacts, []string{"initramfs", "iso", "pxe"}) || c.dir != "build" ||
		c.flavour != "builtin" || c.layout != image.DefaultLayout {
		t.Errorf("defaults: got %+v", c)
	}
	c, err = parse([]string{"mkimage", "-o", "out", "iso"})
	if err != nil || !c.wants("iso") || c.wants("pxe") || c.dir != "out" {
		t.Errorf("mkimage -o out iso: got %+v, %v", c, err)
	}
}

func TestParseRefuses(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"mkimage", "-flavour", "fedora"}, "want builtin or distro"},
		{[]string{"mkimage", "iso", "usb"}, `artifact "usb"`},
	} {
		if _, err := parse(tc.args); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("parse(%q): got %v, want an error with %q", tc.args, err, tc.want)
		}
	}
}
