package image

import (
	"fmt"
	"os"
	"sort"

	"github.com/u-root/mkuimage/cpio"
)

// Entry is one file of an initramfs and its size.
type Entry struct {
	Name string
	Size int64
}

// Largest lists the n largest files of the newc cpio archive at path, the
// biggest first: what to look at when the image grows.
func Largest(path string, n int) ([]Entry, error) {
	recs, err := readArchive(path)
	if err != nil {
		return nil, err
	}
	entries := make([]Entry, 0, len(recs))
	for _, r := range recs {
		entries = append(entries, Entry{r.Name, int64(r.FileSize)})
	}
	// Name breaks ties so that the listing is stable.
	sort.Slice(entries, func(i, j int) bool {
		if entries[i].Size != entries[j].Size {
			return entries[i].Size > entries[j].Size
		}
		return entries[i].Name < entries[j].Name
	})
	return entries[:min(n, len(entries))], nil
}

// readArchive reads every record of the newc cpio archive at path.
func readArchive(path string) ([]cpio.Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	recs, err := cpio.ReadAllRecords(cpio.Newc.Reader(f))
	if err != nil {
		return nil, fmt.Errorf("read cpio %s: %w", path, err)
	}
	return recs, nil
}
