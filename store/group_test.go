package store_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/canaille-go/canaille/store"
)

func TestGroupNormalize(t *testing.T) {
	t.Run("TrimsText", func(t *testing.T) {
		g := store.Group{DisplayName: "  staff\t", Description: "\n Everybody \n"}
		g.Normalize()
		if g.DisplayName != "staff" || g.Description != "Everybody" {
			t.Errorf("Normalize() gave DisplayName %q, Description %q", g.DisplayName, g.Description)
		}
	})
	refTests := []struct {
		name     string
		in, want []store.Ref
	}{
		{"KeepsDistinct", []store.Ref{{ID: "u1"}, {ID: "u2"}}, []store.Ref{{ID: "u1"}, {ID: "u2"}}},
		{"DuplicateIDKeepsFirst", []store.Ref{{ID: "u1", Name: "alice"}, {ID: "u2"}, {ID: "u1", Name: "other"}},
			[]store.Ref{{ID: "u1", Name: "alice"}, {ID: "u2"}}},
		{"DropsEmptyID", []store.Ref{{ID: ""}, {ID: "u1"}, {ID: "  ", Name: "ghost"}}, []store.Ref{{ID: "u1"}}},
		{"TrimsIDs", []store.Ref{{ID: " u1 "}, {ID: "u1"}}, []store.Ref{{ID: "u1"}}},
		{"IDsAreCaseSensitive", []store.Ref{{ID: "abc"}, {ID: "ABC"}}, []store.Ref{{ID: "abc"}, {ID: "ABC"}}},
		{"Empty", nil, nil},
	}
	for _, tc := range refTests {
		t.Run("Members"+tc.name, func(t *testing.T) {
			g := store.Group{Members: slices.Clone(tc.in)}
			g.Normalize()
			if !slices.Equal(g.Members, tc.want) {
				t.Errorf("Members = %v, want %v", g.Members, tc.want)
			}
		})
		t.Run("Owners"+tc.name, func(t *testing.T) {
			g := store.Group{Owners: slices.Clone(tc.in)}
			g.Normalize()
			if !slices.Equal(g.Owners, tc.want) {
				t.Errorf("Owners = %v, want %v", g.Owners, tc.want)
			}
		})
	}
	t.Run("MembersAndOwnersIndependent", func(t *testing.T) {
		g := store.Group{Members: []store.Ref{{ID: "u1"}}, Owners: []store.Ref{{ID: "u1"}}}
		g.Normalize()
		if len(g.Members) != 1 || len(g.Owners) != 1 {
			t.Errorf("a user both member and owner: Members %v, Owners %v", g.Members, g.Owners)
		}
	})
}

func TestGroupValidate(t *testing.T) {
	tests := []struct {
		name   string
		g      store.Group
		fields []string
	}{
		{"Valid", store.Group{DisplayName: "staff", Description: "Everybody\nat work", Members: []store.Ref{{ID: "u1"}}, Owners: []store.Ref{{ID: "u2"}}}, nil},
		{"Empty", store.Group{}, []string{"display_name"}},
		{"NameTooLong", store.Group{DisplayName: strings.Repeat("g", 129)}, []string{"display_name"}},
		{"NameLeadingSpace", store.Group{DisplayName: " staff"}, []string{"display_name"}},
		{"NameTrailingSpace", store.Group{DisplayName: "staff "}, []string{"display_name"}},
		{"NameControlCharacter", store.Group{DisplayName: "st\x00aff"}, []string{"display_name"}},
		{"NameNewline", store.Group{DisplayName: "st\naff"}, []string{"display_name"}},
		{"DescriptionControlCharacter", store.Group{DisplayName: "staff", Description: "a\x00b"}, []string{"description"}},
		{"DescriptionOverLong", store.Group{DisplayName: "staff", Description: strings.Repeat("d", store.MaxTextLength+1)}, []string{"description"}},
		{"DescriptionInvalidUTF8", store.Group{DisplayName: "staff", Description: "\xff"}, []string{"description"}},
		{"EmptyMemberID", store.Group{DisplayName: "staff", Members: []store.Ref{{ID: "u1"}, {Name: "alice"}}}, []string{"members"}},
		{"EmptyOwnerID", store.Group{DisplayName: "staff", Owners: []store.Ref{{Name: "alice"}}}, []string{"owners"}},
		{"EmptyMemberAndOwnerIDs", store.Group{DisplayName: "staff", Members: []store.Ref{{}, {}}, Owners: []store.Ref{{}}}, []string{"members", "owners"}},
		{"Several", store.Group{DisplayName: " staff", Description: "\x07", Members: []store.Ref{{}}}, []string{"display_name", "description", "members"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantFields(t, tc.g.Validate(), tc.fields...)
		})
	}
	t.Run("NormalizeMakesEmptyRefsValid", func(t *testing.T) {
		g := store.Group{DisplayName: " staff ", Members: []store.Ref{{}, {ID: "u1"}}, Owners: []store.Ref{{ID: " "}}}
		g.Normalize()
		wantFields(t, g.Validate())
	})
}

func TestGroupMembership(t *testing.T) {
	g := store.Group{
		Members: []store.Ref{{ID: "u1", Name: "alice"}, {ID: "u2", Name: "bob"}},
		Owners:  []store.Ref{{ID: "u2", Name: "bob"}},
	}
	tests := []struct {
		name            string
		id              string
		member, isOwner bool
	}{
		{"MemberNotOwner", "u1", true, false},
		{"MemberAndOwner", "u2", true, true},
		{"Stranger", "u3", false, false},
		{"ByNameNotID", "alice", false, false},
		{"Empty", "", false, false},
		{"CaseSensitive", "U1", false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := g.HasMember(tc.id); got != tc.member {
				t.Errorf("HasMember(%q) = %v, want %v", tc.id, got, tc.member)
			}
			if got := g.IsOwner(tc.id); got != tc.isOwner {
				t.Errorf("IsOwner(%q) = %v, want %v", tc.id, got, tc.isOwner)
			}
		})
	}
	t.Run("EmptyGroup", func(t *testing.T) {
		var empty store.Group
		if empty.HasMember("u1") || empty.IsOwner("u1") {
			t.Error("an empty group has a member or an owner")
		}
	})
}

func TestRefHelpers(t *testing.T) {
	refs := []store.Ref{{ID: "u1", Name: "alice"}, {ID: "u2"}, {ID: "u3", Name: "carol"}}
	t.Run("RefIDs", func(t *testing.T) {
		if got, want := store.RefIDs(refs), []string{"u1", "u2", "u3"}; !slices.Equal(got, want) {
			t.Errorf("RefIDs = %q, want %q", got, want)
		}
	})
	t.Run("RefNamesKeepsPositions", func(t *testing.T) {
		if got, want := store.RefNames(refs), []string{"alice", "", "carol"}; !slices.Equal(got, want) {
			t.Errorf("RefNames = %q, want %q", got, want)
		}
	})
	t.Run("Empty", func(t *testing.T) {
		if got := store.RefIDs(nil); len(got) != 0 {
			t.Errorf("RefIDs(nil) = %q", got)
		}
		if got := store.RefNames(nil); len(got) != 0 {
			t.Errorf("RefNames(nil) = %q", got)
		}
	})
	t.Run("HasRef", func(t *testing.T) {
		for _, tc := range []struct {
			id   string
			want bool
		}{{"u1", true}, {"u3", true}, {"u4", false}, {"alice", false}, {"", false}} {
			if got := store.HasRef(refs, tc.id); got != tc.want {
				t.Errorf("HasRef(%q) = %v, want %v", tc.id, got, tc.want)
			}
		}
		if store.HasRef(nil, "u1") {
			t.Error("HasRef(nil) = true")
		}
	})
}

func TestGroupClone(t *testing.T) {
	orig := store.Group{DisplayName: "staff", Members: []store.Ref{{ID: "u1", Name: "alice"}}, Owners: []store.Ref{{ID: "u2"}}}
	c := orig.Clone()
	if !slices.Equal(c.Members, orig.Members) || !slices.Equal(c.Owners, orig.Owners) {
		t.Fatalf("Clone() = %+v, want a copy of %+v", c, orig)
	}
	c.Members[0].ID = "u9"
	c.Owners[0].Name = "mallory"
	if orig.Members[0].ID != "u1" || orig.Owners[0].Name != "" {
		t.Errorf("original changed through the clone: %+v", orig)
	}
}
