// Package password hashes and verifies user passwords.
//
// # Stored format
//
// Hashes are stored in the LDAP userPassword syntax: a scheme name in braces
// followed by the scheme's own encoding. New hashes are always argon2id, in
// the format of OpenLDAP's argon2 password module (libargon2's encoded form,
// the PHC string format), so that an export to OpenLDAP keeps working:
//
//	{ARGON2}$argon2id$v=19$m=65536,t=3,p=4$<salt>$<hash>
//
// where m is the memory in KiB, t the number of passes, p the parallelism, and
// salt and hash are standard base64 without padding. (OpenLDAP 2.5 writes
// argon2i but verifies argon2i, argon2d and argon2id alike.)
//
// # Verified schemes
//
// Verify accepts the following stored values (scheme names are
// case-insensitive inside the braces, as in OpenLDAP):
//
//   - {ARGON2}$argon2id$… and {ARGON2}$argon2i$… (version 19 only), and the
//     same PHC strings without the {ARGON2} prefix. argon2d and version 16
//     are reported as unsupported.
//   - {SSHA}, {SSHA256}, {SSHA384}, {SSHA512}, {SMD5}: base64 of
//     digest(password||salt)||salt; and the unsalted {SHA}, {SHA256},
//     {SHA384}, {SHA512}, {MD5}: base64 of digest(password).
//   - {CRYPT} followed by $1$ (md5-crypt), $5$ (sha256-crypt), $6$
//     (sha512-crypt, with or without rounds=N), or $2a$/$2b$/$2y$ (bcrypt).
//     DES crypt, yescrypt and other crypt(3) formats are unsupported.
//   - {BCRYPT}$2a$… and bare $2a$/$2b$/$2y$ bcrypt strings. bcrypt only reads
//     the first 72 bytes of a password; a longer password never matches.
//
// {CLEARTEXT} values and values without a scheme are never verified.
//
// Every scheme other than argon2id with the Hasher's own parameters is
// reported as needing an upgrade, so that a caller rewrites the stored value
// with Hasher.Hash after the next successful login.
//
// # Limits
//
// Imported hashes choose their own cost. To keep a hostile import from making
// a login hang or exhaust memory, Verify refuses (as ErrMalformedHash) argon2
// hashes with more than 4 GiB of memory, more than 1000 passes, or a product
// of memory and passes above 16 GiB; sha-crypt hashes with more than 2,000,000
// rounds; and bcrypt hashes with a cost above 16. Params.Validate applies the
// same argon2 limits, so every hash this package writes can be verified.
// Because sha-crypt's work grows with the square of the password length, a
// password over 512 bytes never matches a {CRYPT} hash (libxcrypt refuses
// such passwords too).
//
// argon2 computations (in Hash, Verify and Waste) are limited by a semaphore
// of maxConcurrent slots; a verification whose memory cost exceeds the
// Hasher's own takes proportionally more slots (at most all of them).
//
// Errors never contain a password or a hash, only the scheme name and the
// kind of problem.
package password
