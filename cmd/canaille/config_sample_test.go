package main

import (
	"bytes"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/canaille-go/canaille/store"
	"github.com/canaille-go/canaille/store/acl"
)

func TestSampleConfig(t *testing.T) {
	c, warnings, err := LoadConfig(samplePath, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) > 0 {
		t.Errorf("warnings:\n%s", strings.Join(warnings, "\n"))
	}
	if err := c.Validate(); err != nil {
		t.Errorf("config.sample.toml does not validate as shipped:\n%v", err)
	}
	if err := c.RequireSecretKey(); err == nil || !strings.Contains(err.Error(), samplePath) {
		t.Errorf("RequireSecretKey = %v, want an error naming the file", err)
	}
	// The placeholder must not be accepted once uncommented.
	c.SecretKey = "CHANGE-ME"
	if err := c.RequireSecretKey(); err == nil {
		t.Error("the SECRET_KEY placeholder is accepted")
	}
}

// uncommentSample returns the sample with every commented-out key and
// section header ("# KEY = value", "# [SECTION]") made active. Prose and
// the indented ACL example stay comments.
func uncommentSample(t *testing.T) string {
	key := regexp.MustCompile(`^# ((?:[A-Z][A-Z0-9_]* = .*)|(?:\[[A-Z_.]+\]))$`)
	var out []string
	for line := range strings.SplitSeq(readFile(t, samplePath), "\n") {
		if m := key.FindStringSubmatch(line); m != nil {
			line = m[1]
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

func TestSampleShowsDefaults(t *testing.T) {
	c, warnings := mustLoad(t, uncommentSample(t))
	if len(warnings) > 0 {
		t.Errorf("warnings: %q", warnings)
	}
	// Every key of the Config type is written in the sample.
	for _, key := range leafKeys(configType, "") {
		if key == "CANAILLE.ACL" {
			continue
		}
		if !c.IsSet(key) {
			t.Errorf("config.sample.toml does not document %s", key)
		}
	}
	if !strings.Contains(readFile(t, samplePath), "#   [CANAILLE.ACL.") {
		t.Error("config.sample.toml has no ACL example")
	}
	// The values shown are the defaults, except the placeholders of the
	// keys the administrator sets, and the SMTP section, shown commented.
	want := DefaultConfig()
	want.SecretKey, want.ServerName = c.SecretKey, c.ServerName
	want.Canaille.SMTP.Enabled = true
	want.ConfigPath, want.set = c.ConfigPath, c.set
	if !reflect.DeepEqual(c, want) {
		var got, exp bytes.Buffer
		toml.NewEncoder(&got).Encode(c)
		toml.NewEncoder(&exp).Encode(want)
		t.Errorf("the sample's values differ from DefaultConfig():\n%s\nwant\n%s", got.String(), exp.String())
	}
}

func TestSampleACLExample(t *testing.T) {
	// The commented ACL example of the sample, once uncommented, loads and
	// compiles, and gives what its comments say.
	sample := readFile(t, samplePath)
	start := strings.Index(sample, "#   [CANAILLE.ACL.")
	end := strings.Index(sample, "\n[CANAILLE_HTTP]")
	if start < 0 || end < start {
		t.Fatal("no ACL example before [CANAILLE_HTTP] in config.sample.toml")
	}
	var text []string
	for line := range strings.SplitSeq(sample[start:end], "\n") {
		text = append(text, strings.TrimPrefix(strings.TrimPrefix(line, "#"), "   "))
	}
	c, warnings := mustLoad(t, strings.Join(text, "\n"))
	if len(warnings) > 0 {
		t.Error(warnings)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	p, _ := c.ACLPolicy()
	if got := p.Sections(); !reflect.DeepEqual(got, []string{"ADMIN", "DEFAULT", "SERVICES"}) {
		t.Errorf("sections %v", got)
	}
	postfix, alice := &store.User{UserName: "postfix"}, &store.User{UserName: "alice"}
	if !p.For(postfix).Can(acl.LDAPRead) || p.For(alice).Can(acl.LDAPRead) {
		t.Error("the example does not keep ldap_read to service accounts")
	}
}
