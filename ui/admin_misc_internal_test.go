package ui

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/canaille-go/canaille/store/acl"
	"github.com/canaille-go/canaille/ui/mail"
)

// The administration tools build some message IDs at run time (action
// codes, target kinds, permissions, attributes, email templates), which
// TestCatalogues cannot see in the sources: each must exist in every
// language.
func TestAdminMiscMessages(t *testing.T) {
	// The messages of each language, over its split files; a language
	// falls back to English at run time, so the files are read directly.
	cats := map[string]map[string]any{}
	files, _ := filepath.Glob("locales/*.toml")
	for _, f := range files {
		var m map[string]any
		if _, err := toml.DecodeFile(f, &m); err != nil {
			t.Fatal(err)
		}
		parts := strings.Split(strings.TrimSuffix(filepath.Base(f), ".toml"), ".")
		lang := parts[len(parts)-1]
		if cats[lang] == nil {
			cats[lang] = map[string]any{}
		}
		for k, v := range m {
			cats[lang][k] = v
		}
	}
	if len(cats) < 2 {
		t.Fatalf("catalogues: %v", files)
	}
	var ids []string
	for _, a := range auditActions {
		ids = append(ids, auditMessageID(a))
	}
	for _, k := range auditTargetKinds {
		ids = append(ids, "admin_audit_kind_"+k)
	}
	for _, p := range acl.AllPermissions {
		ids = append(ids, "admin_rights_perm_"+string(p))
	}
	for _, a := range acl.Attributes {
		ids = append(ids, "admin_rights_attr_"+a)
	}
	for _, k := range []string{"reset", "registration", "invitation", "email_confirmation", "test"} {
		ids = append(ids, "admin_mail_kind_"+k)
	}
	for lang, cat := range cats {
		for _, id := range ids {
			if s, ok := cat[id].(string); !ok || s == "" {
				t.Errorf("%s lacks %s", lang, id)
			}
		}
	}
	if auditMessageID("something.else") != "" || !strings.HasPrefix(auditMessageID("user.create"), "admin_audit_action_user_create") {
		t.Error("auditMessageID")
	}
}

// An email composed outside mailKinds is previewed once its sender
// registers a sample.
func TestAdminMailSamplesRegistered(t *testing.T) {
	mailSamples["zz_sample"] = func(a *App, lang string) (mail.Message, error) {
		return mail.Message{Subject: "Sample " + lang, Text: "text " + lang, HTML: "<p>html " + lang + "</p>"}, nil
	}
	defer delete(mailSamples, "zz_sample")
	a := &App{}
	kinds := a.previewKinds()
	if len(kinds) != len(mailKinds)+len(mailSamples) || kinds[len(kinds)-1] != "zz_sample" {
		t.Fatalf("previewKinds = %v", kinds)
	}
	m, err := a.sampleMessage("zz_sample", "fr")
	if err != nil || m.Subject != "Sample fr" {
		t.Fatalf("sampleMessage = %+v, %v", m, err)
	}
}
