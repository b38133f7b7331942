// Command mkpkg builds canaille's .deb and .rpm packages with nfpm, used as a
// library: packaging/nfpm.yaml says what goes in them, this command expands
// ${VERSION}, ${ARCH} and ${STAGE} in it and writes the packages under the
// names packaging/build.sh promises. It also makes the packaged
// configuration from config.sample.toml (the "config" mode).
//
//	mkpkg config -in config.sample.toml -out STAGE/config.toml
//	mkpkg package -config packaging/nfpm.yaml -version V -arch amd64 -stage DIR -out dist
//
// packaging/build.sh runs both; nobody needs to call this by hand.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/goreleaser/nfpm/v2"
	_ "github.com/goreleaser/nfpm/v2/deb" // registers the deb packager
	_ "github.com/goreleaser/nfpm/v2/rpm" // registers the rpm packager
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: mkpkg config|package [flags] (run packaging/build.sh instead)")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "config":
		err = runConfig(os.Args[2:])
	case "package":
		err = runPackage(os.Args[2:])
	default:
		err = fmt.Errorf("unknown mode %q: config or package", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "mkpkg:", err)
		os.Exit(1)
	}
}

// versionRE accepts versions that mean the same thing to dpkg and rpm: no
// "-" (dpkg would read a Debian revision, rpm refuses it), "~" sorts before
// the release in both.
var versionRE = regexp.MustCompile(`^[0-9][A-Za-z0-9.+~]*$`)

func runPackage(args []string) error {
	fs := flag.NewFlagSet("package", flag.ContinueOnError)
	config := fs.String("config", "packaging/nfpm.yaml", "nfpm configuration")
	version := fs.String("version", "", "package version")
	arch := fs.String("arch", "amd64", "GOARCH of the binary")
	stage := fs.String("stage", "", "directory holding the built binary and generated files")
	out := fs.String("out", "dist", "output directory")
	epoch := fs.Int64("mtime", 0, "modification time of every packaged file, in seconds since 1970 (the commit's time, for reproducible packages); 0 means now")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !versionRE.MatchString(*version) {
		return fmt.Errorf("version %q: start with a digit and use only letters, digits, '.', '+' and '~' (no '-'), such as 1.2.0 or 1.2.0~rc1", *version)
	}
	if *stage == "" {
		return errors.New("-stage is required")
	}
	stageAbs, err := filepath.Abs(*stage)
	if err != nil {
		return err
	}
	vars := map[string]string{"VERSION": *version, "ARCH": *arch, "STAGE": stageAbs}
	var unknown []string
	cfg, err := nfpm.ParseFileWithEnvMapping(*config, func(k string) string {
		v, ok := vars[k]
		// nfpm itself asks for NFPM_* (signing passphrases): none here. Any
		// other name is a typo in nfpm.yaml, which must not become "".
		if !ok && !strings.HasPrefix(k, "NFPM_") {
			unknown = append(unknown, "${"+k+"}")
		}
		return v
	})
	if err != nil {
		return err
	}
	if unknown != nil {
		return fmt.Errorf("%s: unknown variables %s (known: VERSION, ARCH, STAGE)", *config, strings.Join(unknown, ", "))
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	for _, format := range []string{"deb", "rpm"} {
		info, err := cfg.Get(format)
		if err != nil {
			return err
		}
		if *epoch > 0 {
			info.MTime = time.Unix(*epoch, 0).UTC()
		}
		info = nfpm.WithDefaults(info)
		if err := nfpm.PrepareForPackager(info, format); err != nil {
			return fmt.Errorf("%s: %w", format, err)
		}
		pkgr, err := nfpm.Get(format)
		if err != nil {
			return err
		}
		name := fileName(format, *version, info)
		path := filepath.Join(*out, name)
		if err := writePackage(path, func(f *os.File) error { return pkgr.Package(info, f) }); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		fmt.Println(path)
	}
	return nil
}

// fileName is dist/canaille_<version>_<arch>.deb or
// canaille-<version>.<arch>.rpm, with each format's architecture name
// (amd64 and x86_64, arm64 and aarch64).
func fileName(format, version string, info *nfpm.Info) string {
	if format == "deb" {
		arch := info.Deb.Arch
		if arch == "" {
			arch = info.Arch
		}
		return fmt.Sprintf("%s_%s_%s.deb", info.Name, version, arch)
	}
	arch := info.RPM.Arch
	if arch == "" {
		arch = map[string]string{"amd64": "x86_64", "arm64": "aarch64", "386": "i386", "arm7": "armv7hl", "ppc64le": "ppc64le", "s390x": "s390x", "riscv64": "riscv64"}[info.Arch]
		if arch == "" {
			arch = info.Arch
		}
	}
	return fmt.Sprintf("%s-%s.%s.rpm", info.Name, version, arch)
}

// writePackage writes beside path and renames into place, so that a failed
// build never leaves a truncated package under the final name.
func writePackage(path string, write func(*os.File) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".mkpkg-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// productionEdits are the changes from config.sample.toml (every key
// commented out with its default) to the packaged /etc/canaille/config.toml:
// in a section, one exact line becomes another. The paths the package
// relies on are written out even where they equal the defaults, so that
// an administrator sees them. Each edit must match exactly once: when the
// sample changes, the build fails instead of shipping a half-edited file.
var productionEdits = []struct{ section, from, to string }{
	{"CANAILLE_HTTP", `# LISTEN = "127.0.0.1:5000"`,
		"# The package serves HTTP on the loopback interface, behind the reverse\n" +
			"# proxy of /usr/share/canaille/nginx.conf or apache.conf.\n" +
			`LISTEN = "127.0.0.1:5000"`},
	{"CANAILLE_HTTP", `# TRUSTED_PROXIES = []`,
		"# The reverse proxy runs on this machine: believe its X-Forwarded-*\n" +
			"# headers, and nobody else's.\n" +
			`TRUSTED_PROXIES = ["127.0.0.1", "::1"]`},
	{"CANAILLE_BOLT", `# PATH = "/var/lib/canaille/canaille.db"`, `PATH = "/var/lib/canaille/canaille.db"`},
	{"CANAILLE_LDAP_SERVER", `# LISTEN = ":389"`, `LISTEN = ":389"`},
	{"CANAILLE_OIDC.JWT", `# PRIVATE_KEY = "/etc/canaille/private.pem"`, `PRIVATE_KEY = "/etc/canaille/private.pem"`},
	{"CANAILLE_OIDC.JWT", `# PUBLIC_KEY = "/etc/canaille/public.pem"`, `PUBLIC_KEY = "/etc/canaille/public.pem"`},
}

const productionHeader = `# Installed by the canaille package. dpkg and rpm keep your changes on
# upgrades. On the first installation the package wrote a random SECRET_KEY
# at the top of this file and created the signing keys and the database
# (/var/lib/canaille/canaille.db) with 'canaille install'.
#
# Set SERVER_NAME below and [CANAILLE_LDAP_SERVER] ROOT_DN, then
# 'systemctl restart canaille'. LDAPS on :636 needs TLS_CERT and TLS_KEY
# (readable by the canaille user). Check with 'canaille check'.
#
`

var sectionRE = regexp.MustCompile(`^\[([A-Za-z0-9_.]+)\]\s*$`)

func productionConfig(sample []byte) ([]byte, error) {
	used := make([]int, len(productionEdits))
	var out bytes.Buffer
	out.WriteString(productionHeader)
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(sample))
	for sc.Scan() {
		line := sc.Text()
		if m := sectionRE.FindStringSubmatch(line); m != nil {
			section = m[1]
		}
		for i, e := range productionEdits {
			if e.section == section && line == e.from {
				line = e.to
				used[i]++
			}
		}
		out.WriteString(line)
		out.WriteByte('\n')
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	var problems []string
	for i, n := range used {
		if n != 1 {
			e := productionEdits[i]
			problems = append(problems, fmt.Sprintf("[%s] %q found %d times (want once)", e.section, e.from, n))
		}
	}
	if problems != nil {
		return nil, fmt.Errorf("config.sample.toml no longer has the lines the package edits; update productionEdits in packaging/mkpkg:\n  %s", strings.Join(problems, "\n  "))
	}
	return out.Bytes(), nil
}

func runConfig(args []string) error {
	fs := flag.NewFlagSet("config", flag.ContinueOnError)
	in := fs.String("in", "config.sample.toml", "the sample configuration")
	out := fs.String("out", "", "where to write the packaged configuration")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("-out is required")
	}
	sample, err := os.ReadFile(*in)
	if err != nil {
		return err
	}
	text, err := productionConfig(sample)
	if err != nil {
		return err
	}
	return os.WriteFile(*out, text, 0o644)
}
