package store

import (
	"slices"
	"strings"
	"time"
)

// Group is a named set of users. Groups may be empty.
type Group struct {
	ID           string    `json:"id"`
	Created      time.Time `json:"created,omitzero"`
	LastModified time.Time `json:"last_modified,omitzero"`

	DisplayName string `json:"display_name"` // the identifier (cn), unique case-insensitively
	Description string `json:"description,omitempty"`
	// Members are the users of the group. On writes only Ref.ID counts; on
	// reads backends fill Name with the user_name and sort by it.
	Members []Ref `json:"members,omitempty"`
	// Owners are the users who may manage this group with the
	// manage_own_groups permission (same conventions as Members).
	Owners []Ref `json:"owners,omitempty"`
	// GIDNumber is allocated from the configured range when zero.
	GIDNumber uint32 `json:"gid_number,omitempty"`
}

// Clone returns a deep copy.
func (g Group) Clone() Group {
	g.Members = slices.Clone(g.Members)
	g.Owners = slices.Clone(g.Owners)
	return g
}

// Normalize trims the text fields and de-duplicates the member and owner
// lists by ID.
func (g *Group) Normalize() {
	g.DisplayName = strings.TrimSpace(g.DisplayName)
	g.Description = strings.TrimSpace(g.Description)
	g.Members = uniqueRefs(g.Members)
	g.Owners = uniqueRefs(g.Owners)
}

// Validate reports every field whose value is not acceptable.
func (g *Group) Validate() error {
	var es ValidationErrors
	if r := ValidGroupName(g.DisplayName); r != "" {
		es.add("display_name", r)
	}
	if r := validText(g.Description, true); r != "" {
		es.add("description", r)
	}
	for _, f := range []struct {
		name string
		refs []Ref
	}{{"members", g.Members}, {"owners", g.Owners}} {
		if HasRef(f.refs, "") {
			es.add(f.name, "must not contain an empty user id")
		}
	}
	return es.err()
}

// HasMember reports whether the user with this ID is a member.
func (g *Group) HasMember(userID string) bool { return HasRef(g.Members, userID) }

// IsOwner reports whether the user with this ID is an owner.
func (g *Group) IsOwner(userID string) bool { return HasRef(g.Owners, userID) }

// Ref names an object by its ID and its natural identifier (user_name for
// users, display_name for groups).
type Ref struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}

// HasRef reports whether refs holds id.
func HasRef(refs []Ref, id string) bool {
	return slices.ContainsFunc(refs, func(r Ref) bool { return r.ID == id })
}

// RefIDs returns the IDs of refs.
func RefIDs(refs []Ref) []string {
	ids := make([]string, len(refs))
	for i, r := range refs {
		ids[i] = r.ID
	}
	return ids
}

// RefNames returns the names of refs.
func RefNames(refs []Ref) []string {
	names := make([]string, len(refs))
	for i, r := range refs {
		names[i] = r.Name
	}
	return names
}

// uniqueRefs drops empty IDs and keeps the first of duplicates, in order.
func uniqueRefs(refs []Ref) []Ref {
	var out []Ref
	seen := map[string]bool{}
	for _, r := range refs {
		r.ID = strings.TrimSpace(r.ID)
		if r.ID == "" || seen[r.ID] {
			continue
		}
		seen[r.ID] = true
		out = append(out, r)
	}
	return out
}
