package bench

import "regexp"

// initLine is the kernel's last word before it starts userspace; its printk
// timestamp is the kernel time to /init.
var initLine = regexp.MustCompile(`\[\s*(\d+\.\d+)\] Run /init as init process`)
