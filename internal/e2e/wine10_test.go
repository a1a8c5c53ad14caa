//go:build linux

package e2e

// tools/wine/wine10.sh takes the Debian mirror from apt's configuration,
// and from nowhere else.

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestWine10Mirror runs `wine10.sh mirror` against sample apt
// configurations (APT_CONFIG naming their sources): one-line sources.list
// entries, a deb822 .sources file, and sources none of which is for the
// host's release, for which it must fail, saying so, and print no address.
func TestWine10Mirror(t *testing.T) {
	if _, err := exec.LookPath("apt-get"); err != nil {
		if inCI() {
			t.Fatalf("CI=true and: %v", err)
		}
		t.Skipf("no apt: %v", err)
	}
	codename := osReleaseCodename(t)
	security := "deb http://security.example.org/debian-security " + codename + "-security main\n"
	tests := []struct {
		name       string
		list       string // sources.list
		sources    string // sources.list.d/debian.sources
		want, fail string
	}{
		{"one-line", "# deb http://commented.example.org/debian " + codename + " main\n" + security +
			"deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://one.example.org/debian " + codename + " main contrib\n",
			"", "http://one.example.org/debian", ""},
		{"deb822", "", "Types: deb\nURIs: http://deb822.example.net/mirror/debian\nSuites: " + codename + "-updates " + codename + "\nComponents: main\n" +
			"Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\nTypes: deb\nURIs: http://security.example.org/debian-security\nSuites: " + codename + "-security\nComponents: main\n",
			"http://deb822.example.net/mirror/debian", ""},
		{"none", security, "", "", "apt names no source for " + codename},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, d := range []string{"sources.list.d", "lists", "preferences.d"} {
				if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			write(t, filepath.Join(dir, "sources.list"), tt.list)
			if tt.sources != "" {
				write(t, filepath.Join(dir, "sources.list.d", "debian.sources"), tt.sources)
			}
			conf := filepath.Join(dir, "apt.conf")
			write(t, conf, `Dir::Etc::SourceList "`+filepath.Join(dir, "sources.list")+`";
Dir::Etc::SourceParts "`+filepath.Join(dir, "sources.list.d")+`";
Dir::State::Lists "`+filepath.Join(dir, "lists")+`";
`)
			cmd := exec.Command("bash", filepath.Join("..", "..", "tools", "wine", "wine10.sh"), "mirror")
			cmd.Env = append(withoutMirror(os.Environ()), "APT_CONFIG="+conf)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			got := strings.TrimSpace(stdout.String())
			switch {
			case tt.fail == "" && (err != nil || got != tt.want):
				t.Errorf("wine10.sh mirror = %q, %v; want %q\nstderr:\n%s", got, err, tt.want, stderr.String())
			case tt.fail != "" && (err == nil || got != "" || !strings.Contains(stderr.String(), tt.fail)):
				t.Errorf("wine10.sh mirror = %q, %v, stderr %q; want a failure saying %q and no address", got, err, stderr.String(), tt.fail)
			}
		})
	}
}

// osReleaseCodename returns this machine's VERSION_CODENAME.
func osReleaseCodename(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("/etc/os-release")
	if err != nil {
		t.Skipf("no /etc/os-release: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VERSION_CODENAME="); ok && strings.Trim(v, `"`) != "" {
			return strings.Trim(v, `"`)
		}
	}
	t.Skip("no VERSION_CODENAME in /etc/os-release")
	return ""
}

func write(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// withoutMirror returns env without HANDOFF_DEBIAN_MIRROR, which would
// take the place of apt's.
func withoutMirror(env []string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "HANDOFF_DEBIAN_MIRROR=") {
			out = append(out, kv)
		}
	}
	return out
}
