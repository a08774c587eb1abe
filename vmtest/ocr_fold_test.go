package vmtest

import "testing"

func TestScreenShowsForgivesOCR(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"$ uname \u2014m\nx86_64", "uname -m"},
		{"randax: ready 2 namespaces", "ready 2 narnespaces"},
		{"READY 2 NAMESPACES (O created", "ready 2 namespaces (0 created"},
	} {
		if !ScreenShows(c.text, c.want) {
			t.Errorf("ScreenShows(%q, %q) = false", c.text, c.want)
		}
	}
	if ScreenShows("uname -m", "x86_64") {
		t.Error("ScreenShows matched text that is not there")
	}
}
