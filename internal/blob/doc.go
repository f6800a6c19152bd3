// Package blob keeps objects in buckets: named byte streams with their
// content type, user metadata and checksums, as S3 keeps them.
//
// [Disk] stores them on a local file system. Every object is one file,
// named by the SHA-256 of its key, holding the bytes followed by a small
// JSON trailer with the key and the metadata. A key therefore never becomes
// a path: keys with "..", NUL bytes, 1,024 bytes of odd Unicode, or both
// "a" and "a/b", are all just names. An object is written to a temporary
// file, synced and renamed into place, so readers see the old object or the
// new one, never part of one; a reader that opened the old one keeps
// reading it whole.
//
// Listing walks an index of each bucket's keys, kept sorted in memory and
// rebuilt from the trailers when the bucket is first used after a start.
//
// Multipart uploads keep their parts as files of the same format in a
// directory per upload. Completing one writes no byte a second time: the
// directory moves under the bucket's data/, and the object file holds only
// the trailer, which names the parts and their sizes; reads go from part
// file to part file. The parts of an object that is replaced or deleted
// are removed once the last reader that opened it closes, and those a
// crash left behind when the bucket is first listed after a start.
//
// A bucket whose versioning is on keeps every version of a key, delete
// markers too, each a file of the same format: the "null" version, the
// one a bucket without versioning or with versioning suspended writes, is
// the object file above, so the objects of a bucket from before versioning
// are its null versions; the others live in a directory per key, named by
// their version ids. A version goes into place with one rename and away
// with one removal. Version ids begin with a sequence number, which the
// null version keeps in its trailer, and the index orders each key's
// versions by it: the latest is the one reads without an id get.
package blob
