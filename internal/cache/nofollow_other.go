//go:build !unix

package cache

const syscallNoFollow = 0
