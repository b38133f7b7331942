package store_test

import (
	"errors"
	"fmt"

	"github.com/canaille-go/canaille/store"
)

// A caller (a web form, the command line) normalises a new user, validates
// it and shows each failing field next to its input.
func ExampleUser_Validate() {
	u := store.User{
		UserName:          " .alice ",
		Emails:            []string{"alice@example.org", " ALICE@example.org", "not an address"},
		PreferredLanguage: "fr_FR",
		HomeDirectory:     "/home/alice",
	}
	u.Normalize()
	err := u.Validate()

	var problems store.ValidationErrors
	if errors.As(err, &problems) {
		for _, p := range problems {
			fmt.Printf("%s: %s\n", p.Field, p.Reason)
		}
	}
	// Output:
	// user_name: may contain only letters, digits, '.', '_', '-' and '@', and must start with a letter, a digit or '_'
	// emails[1]: must be an email address such as alice@example.org
	// preferred_language: must be a language tag such as en, fr or pt-BR
}

// PasswordPolicy.Check explains why a password is refused without quoting
// it.
func ExamplePasswordPolicy_Check() {
	policy := store.PasswordPolicy{MinLength: 8}
	u := &store.User{UserName: "alice"}
	for _, pw := range []string{"short", "Alice2026!", "correct horse battery staple"} {
		if err := policy.Check(pw, u); err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println("accepted")
	}
	// Output:
	// password: must be at least 8 characters long
	// password: must not be your user name or email address
	// accepted
}
