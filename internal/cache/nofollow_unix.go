//go:build unix

package cache

import "syscall"

// syscallNoFollow makes opening a file fail if it was replaced by a
// symbolic link after it was listed.
const syscallNoFollow = syscall.O_NOFOLLOW
