package docker

import "strings"

// Paths inside the container.
const (
	// ctlMount is where the build's control directory is mounted.
	ctlMount = "/codebuild/output/.codeyard"
	// outPath is the output FIFO: the build's output and the sentinels.
	outPath = ctlMount + "/out"
	// scriptName is $0 of the build's shells, as in CodeBuild.
	scriptName = "/codebuild/output/tmp/script.sh"
)

// supervisor is the container's first process. $1 is the loop of the
// build's shells, $2 the waiter that runs one. It reads lines from the ctl
// FIFO:
//
//	s <sid>:<shell> <state>  start a shell (sh or bash, in the background)
//	                 as the container's user
//	o <user> <dir>   give the source directory to a run-as user
//	k                send SIGTERM to every other process of the container
//
// and ends at the FIFO's end. It keeps nothing of the build's open.
const supervisor = `d=` + ctlMount + `
exec 3<"$d/ctl" </dev/null
while read -r __op __a __b <&3; do
case $__op in
s) sh -c "$2" waiter "$1" "${__a%%:*}" "$__b" "${__a#*:}" 3<&- & ;;
o) chown -R "$__a" "$__b" 2>/dev/null ;;
k) kill -TERM -1 2>/dev/null ;;
esac
done
`

// waiter runs one shell ($1 is the loop, $2 the shell's id, $3 its state
// file, $4 the shell: sh or bash) on the build's FIFOs, and reports its
// end with a "w" sentinel that names it, so a shell killed without an
// EXIT trap still ends its command.
const waiter = `d=` + ctlMount + `
if command -v "$4" >/dev/null 2>&1; then
"$4" -c "$1" ` + scriptName + ` "$3" "$2" </dev/null >"$d/out" 2>&1
__cy_s=$?
else
printf 'shell %s: not found in the build image\n' "$4" >"$d/out"
__cy_s=127
fi
printf '\036cy@NONCE@:w%s:%d\n' "$2" "$__cy_s" >"$d/out"
`

// loop is the script each shell runs; see package shell, whose loop this
// is, adapted: the build's environment and the plan's commands come from
// files of the control directory, the state file is $1 and the shell's
// id $2. It reads each command line from its FIFO by path and writes
// each sentinel to the output FIFO by path: no descriptor of its own
// stays open across a command (0-9 are the commands', and dash, the
// /bin/sh of Debian and Ubuntu images, has no redirection of higher
// ones). The FIFO keeps lines written ahead, as codeyard holds both of
// its ends; a "." line ends the loop.
const loop = `__cy_r=
__cy_x=
__cy_nl='
'
__cy_state=$1
__cy_in=` + ctlMount + `/c$2
shift 2
. ` + ctlMount + `/env
if [ -n "$__cy_state" ] && [ -f "$__cy_state" ]; then . "$__cy_state"; cd "$PWD" 2>/dev/null; rm -f "$__cy_state"; fi
if [ -f ` + ctlMount + `/defs ]; then . ` + ctlMount + `/defs; fi
trap '{ __cy_s=$?; set +euxv; } 2>/dev/null; if [ -n "$__cy_r" ]; then if [ -n "$__cy_state" ]; then { export PWD; export -p; if [ -n "${BASH_VERSION-}" ]; then declare -f; fi; } > "$__cy_state" 2>/dev/null; fi; printf "\036cy@NONCE@:x:%d\n" "$__cy_s" >` + outPath + `; fi' EXIT
__cy_f=
while IFS= read -r __cy_l <"$__cy_in"; do
case $__cy_l in
.) break ;;
=*) __cy_f= __cy_l=${__cy_l#?} ;;
+*) [ -n "$__cy_f" ] && continue; __cy_l=${__cy_l#?} ;;
esac
case $__cy_l in
'#'*) eval "__cy_c=\$__cy_c${__cy_l#?}" ;;
*) eval "$__cy_l" ;;
esac
__cy_r=1
eval "$__cy_x$__cy_c"
case $- in
*[xv]*) { __cy_s=$?; __cy_o=$-; set +xv; } 2>/dev/null
__cy_x=
case $__cy_o in *x*) __cy_x='set -x;';; esac
case $__cy_o in *v*) __cy_x="$__cy_x set -v;";; esac ;;
*) __cy_s=$?; __cy_x= ;;
esac
__cy_r=
[ "$__cy_s" -eq 0 ] || __cy_f=1
printf '\036cy@NONCE@:r:%d\n' "$__cy_s" >` + outPath + `
done
`

func withNonce(script, nonce string) string { return strings.ReplaceAll(script, "@NONCE@", nonce) }

// quote quotes s for a POSIX shell.
func quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// encode turns a script into one line: an assignment of the script to
// name, single-quoted, with its line breaks spelled as $__cy_nl.
func encode(name, script string) string {
	var b strings.Builder
	b.Grow(len(script) + 16)
	b.WriteString(name)
	b.WriteString("='")
	for i := 0; i < len(script); i++ {
		switch c := script[i]; c {
		case '\'':
			b.WriteString(`'\''`)
		case '\n':
			b.WriteString(`'"$__cy_nl"'`)
		case 0:
		default:
			b.WriteByte(c)
		}
	}
	b.WriteString("'\n")
	return b.String()
}
