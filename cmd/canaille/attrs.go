package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/canaille-go/canaille/store"
)

// The attribute flags of create, get and set are derived from the JSON
// names of the model types, in kebab case: emails -> --emails,
// given_name -> --given-name. A flag given several times makes a list.

// attr is one settable attribute of a model.
type attr struct {
	flag  string // kebab-case flag name
	json  string // model name
	index []int  // struct field path
	typ   reflect.Type
	// readOnly attributes can filter `get` but not be set.
	readOnly bool
}

var (
	refsType     = reflect.TypeFor[[]store.Ref]()
	timeType     = reflect.TypeFor[time.Time]()
	durationType = reflect.TypeFor[time.Duration]()
)

// modelAttrs lists the attributes of a model type from its JSON tags.
func modelAttrs(t reflect.Type, readOnly ...string) []attr {
	var out []attr
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" || !f.IsExported() {
			continue
		}
		out = append(out, attr{
			flag: strings.ReplaceAll(name, "_", "-"), json: name, index: f.Index, typ: f.Type,
			readOnly: slices.Contains(readOnly, name),
		})
	}
	return out
}

var (
	userAttrs   = modelAttrs(reflect.TypeFor[store.User](), "id", "created", "last_modified", "has_photo", "password_last_update", "password_failure_timestamps", "last_otp_login", "hotp_counter", "one_time_password_emission_date")
	groupAttrs  = modelAttrs(reflect.TypeFor[store.Group](), "id", "created", "last_modified")
	clientAttrs = modelAttrs(reflect.TypeFor[store.Client](), "client_id_issued_at", "last_modified")
)

// multiFlag collects every value given for a flag.
type multiFlag struct {
	vals   []string
	isBool bool
}

func (m *multiFlag) String() string     { return strings.Join(m.vals, ",") }
func (m *multiFlag) Set(v string) error { m.vals = append(m.vals, v); return nil }
func (m *multiFlag) IsBoolFlag() bool   { return m.isBool }

// attrFlags registers one flag per attribute on fs; values[flag] collects
// what the command line gives.
func attrFlags(fs *flag.FlagSet, attrs []attr, forFilter bool) map[string]*multiFlag {
	values := map[string]*multiFlag{}
	for _, a := range attrs {
		if a.readOnly && !forFilter {
			continue
		}
		m := &multiFlag{isBool: a.typ.Kind() == reflect.Bool}
		values[a.flag] = m
		fs.Var(m, a.flag, attrHelp(a))
	}
	return values
}

func attrHelp(a attr) string {
	switch {
	case a.typ == refsType:
		return "a name; repeat for several"
	case a.typ == timeType:
		return "a date: RFC 3339 (2026-12-31T18:00:00Z), a day (2026-12-31), \"now\", or \"\" to clear"
	case a.typ.Kind() == reflect.Slice:
		return "a value; repeat for several; \"\" clears"
	case a.typ.Kind() == reflect.Bool:
		return "true or false"
	case a.typ.Kind() == reflect.Uint32 || a.typ.Kind() == reflect.Int:
		return "a number"
	}
	return "a value"
}

// resolveRefs turns the names given for a Ref-list attribute (a model
// name such as "members" or "groups") into Refs.
type resolveRefs func(field string, names []string) ([]store.Ref, error)

// setAttrs applies the given flag values to obj (a pointer to a model).
func setAttrs(obj any, attrs []attr, values map[string]*multiFlag, resolve resolveRefs) error {
	v := reflect.ValueOf(obj).Elem()
	for _, a := range attrs {
		m := values[a.flag]
		if m == nil || len(m.vals) == 0 || a.readOnly {
			continue
		}
		if err := setField(v.FieldByIndex(a.index), a, m.vals, resolve); err != nil {
			return usagef("--%s: %v", a.flag, err)
		}
	}
	return nil
}

func setField(f reflect.Value, a attr, vals []string, resolve resolveRefs) error {
	one := func() (string, error) {
		if len(vals) > 1 {
			return "", fmt.Errorf("given %d times but takes one value", len(vals))
		}
		return vals[0], nil
	}
	switch {
	case a.typ == refsType:
		refs, err := resolve(a.json, nonEmpty(vals))
		if err != nil {
			return err
		}
		f.Set(reflect.ValueOf(refs))
		return nil
	case a.typ == timeType:
		s, err := one()
		if err != nil {
			return err
		}
		t, err := parseDate(s)
		if err != nil {
			return err
		}
		f.Set(reflect.ValueOf(t))
		return nil
	case a.typ == durationType:
		s, err := one()
		if err != nil {
			return err
		}
		d, err := ParseDuration(s)
		if err != nil {
			return err
		}
		f.SetInt(int64(d))
		return nil
	}
	switch a.typ.Kind() {
	case reflect.String:
		s, err := one()
		if err != nil {
			return err
		}
		f.SetString(s)
	case reflect.Slice:
		if a.typ.Elem().Kind() != reflect.String {
			return fmt.Errorf("cannot be set from the command line")
		}
		f.Set(reflect.ValueOf(nonEmpty(vals)))
	case reflect.Bool:
		s, err := one()
		if err != nil {
			return err
		}
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("%q is not true or false", s)
		}
		f.SetBool(b)
	case reflect.Uint32, reflect.Uint64:
		s, err := one()
		if err != nil {
			return err
		}
		n, err := strconv.ParseUint(s, 10, a.typ.Bits())
		if err != nil {
			return fmt.Errorf("%q is not a number from 0 to %d", s, uint64(1)<<a.typ.Bits()-1)
		}
		f.SetUint(n)
	case reflect.Int:
		s, err := one()
		if err != nil {
			return err
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			return fmt.Errorf("%q is not a number", s)
		}
		f.SetInt(int64(n))
	default:
		return fmt.Errorf("cannot be set from the command line")
	}
	return nil
}

func nonEmpty(vals []string) []string {
	var out []string
	for _, v := range vals {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// parseDate accepts RFC 3339, a day, "now", or "" (zero: clears).
func parseDate(s string) (time.Time, error) {
	switch s {
	case "":
		return time.Time{}, nil
	case "now":
		return time.Now().UTC().Truncate(time.Second), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, fmt.Errorf("%q is not a date such as 2026-12-31T18:00:00Z or 2026-12-31", s)
}

// attrValues returns an attribute's values as strings, for filtering.
func attrValues(obj any, a attr) []string {
	f := reflect.ValueOf(obj).Elem().FieldByIndex(a.index)
	switch {
	case a.typ == refsType:
		var out []string
		for _, r := range f.Interface().([]store.Ref) {
			out = append(out, r.Name, r.ID)
		}
		return out
	case a.typ == timeType:
		t := f.Interface().(time.Time)
		if t.IsZero() {
			return nil
		}
		return []string{t.UTC().Format(time.RFC3339)}
	}
	switch a.typ.Kind() {
	case reflect.String:
		return []string{f.String()}
	case reflect.Slice:
		if a.typ.Elem().Kind() == reflect.String {
			return f.Interface().([]string)
		}
	case reflect.Bool:
		return []string{strconv.FormatBool(f.Bool())}
	case reflect.Uint32, reflect.Uint64:
		return []string{strconv.FormatUint(f.Uint(), 10)}
	case reflect.Int, reflect.Int64:
		return []string{strconv.FormatInt(f.Int(), 10)}
	}
	return nil
}

// matchesFilters reports whether obj has, for every given flag, one of the
// given values (case-insensitively).
func matchesFilters(obj any, attrs []attr, values map[string]*multiFlag) bool {
	for _, a := range attrs {
		m := values[a.flag]
		if m == nil || len(m.vals) == 0 {
			continue
		}
		have := attrValues(obj, a)
		if !slices.ContainsFunc(m.vals, func(want string) bool {
			return slices.ContainsFunc(have, func(h string) bool { return strings.EqualFold(h, want) })
		}) {
			return false
		}
	}
	return true
}

// printJSON writes v as indented JSON, users and groups with their Ref
// lists shown as names ("groups": ["admins"]).
func printJSON(w io.Writer, v any) error {
	out, err := json.MarshalIndent(view(v), "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(out, '\n'))
	return err
}

type userView struct {
	store.User
	Groups []string `json:"groups,omitempty"`
}

type groupView struct {
	store.Group
	Members []string `json:"members,omitempty"`
	Owners  []string `json:"owners,omitempty"`
}

// view replaces users and groups by their printable form.
func view(v any) any {
	switch v := v.(type) {
	case store.User:
		return userView{v, store.RefNames(v.Groups)}
	case store.Group:
		return groupView{v, store.RefNames(v.Members), store.RefNames(v.Owners)}
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = view(x)
		}
		return out
	}
	return v
}
