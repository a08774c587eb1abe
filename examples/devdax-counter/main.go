// devdax-counter is an example service for the RAMDAX appliance: it maps
// a devdax namespace and serves a counter kept in it over HTTP. The
// counter lives in the namespace's memory, so it survives the service's
// restarts and any reboot that keeps RAM.
//
// Build it into the appliance with
//
//	make image SERVICES=./examples/devdax-counter
//
// and boot with, for example,
//
//	memmap=540800K!1G ramdax.ns=counter:devdax:64M ip=dhcp
//
// Synopsis:
//
//	devdax-counter [-ns NAME] [-listen ADDR]
//
// Description:
//
//	It opens /dev/ramdax/NAME, the stable name ramdaxinit gives the
//	namespace, maps its first 2 MiB (a devdax device maps in units of
//	its alignment) and serves:
//
//	GET /       adds one to the counter and returns the new value
//	GET /value  returns the value
//
// The first 8 bytes hold a magic number, the next 8 the counter. A
// namespace without the magic, as ramdaxinit leaves a new one (zeroed),
// starts at 0.
package main

import (
	"errors"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// magic marks a namespace this program has initialised: "rdxcount".
const magic = 0x746e756f63786472

// mapSize is what is mapped: one 2 MiB page, the default devdax
// alignment.
const mapSize = 2 << 20

func main() {
	name := flag.String("ns", "counter", "`name` of the devdax namespace")
	listen := flag.String("listen", ":8080", "`address` to serve HTTP on")
	flag.Parse()
	log.SetFlags(0)
	counter, err := mapCounter("/dev/ramdax/" + *name)
	if err != nil {
		log.Fatalf("devdax-counter: %v", err)
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintf(w, "%d\n", atomic.AddUint64(counter, 1))
	})
	http.HandleFunc("/value", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%d\n", atomic.LoadUint64(counter))
	})
	log.Printf("serving the counter in %s on %s, now %d", *name, *listen, atomic.LoadUint64(counter))
	log.Fatal(http.ListenAndServe(*listen, nil))
}

// mapCounter maps the device at path and returns the counter in it,
// initialised when the magic is missing.
func mapCounter(path string) (*uint64, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("open the namespace: %w (is ramdax.ns=NAME:devdax:SIZE on the command line?)", err)
	}
	defer f.Close() // the mapping stays
	mem, err := unix.Mmap(int(f.Fd()), 0, mapSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("map %s: %w", path, err)
	}
	words := (*[2]uint64)(unsafe.Pointer(&mem[0]))
	switch atomic.LoadUint64(&words[0]) {
	case magic:
	case 0:
		atomic.StoreUint64(&words[1], 0)
		atomic.StoreUint64(&words[0], magic)
	default:
		return nil, errors.New(path + " holds data that is not a counter: not touching it")
	}
	return &words[1], nil
}
