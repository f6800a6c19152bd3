package e2e_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// webBuildspec prints HTML, a script tag and colours (which the page must
// show as text), then lines slowly enough to watch them arrive, and
// writes a JUnit report with a failure.
const webBuildspec = `version: 0.2
phases:
  build:
    commands:
      - sleep ${PAUSE:-0}
      - printf '\033[31mred alert\033[0m and <b>not bold</b> <script>window.pwned=1</script> <img src=x onerror=window.pwned=2>\n'
      - for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo "tick $i"; sleep 0.25; done
      - |
        cat > junit.xml <<'XML'
        <testsuites><testsuite name="web" tests="3">
        <testcase classname="ui" name="renders" time="0.5"/>
        <testcase classname="ui" name="escapes" time="0.25"><failure message="expected &lt;b&gt; as text">trace line</failure></testcase>
        <testcase classname="ui" name="scrolls" time="0.1"/>
        </testsuite></testsuites>
        XML
reports:
  unit:
    files: [junit.xml]
    file-format: JUNITXML
`

func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no Chromium on the PATH (apt-get install chromium; scripts/test installs it): the web UI's browser test needs one")
	return ""
}

// screenshots is where the browser test saves its screenshots:
// $CODEYARD_SCREENSHOTS, or testdata/screenshots (ignored by git).
func screenshots(t *testing.T) string {
	dir := os.Getenv("CODEYARD_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join("testdata", "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestWebUI drives the web UI in headless Chromium against the real
// server: sign in, create a project through the form, start a build and
// watch its log lines arrive live, open its test report, stop a build,
// see a 404, sign out. Each page is saved as a screenshot.
func TestWebUI(t *testing.T) {
	t.Parallel()
	exe := chromium(t)
	srv := startServer(t)
	shots := screenshots(t)

	cmd := exec.Command(binary, "users", "create", "tester", "--password-stdin", "--data-dir", srv.dataDir)
	cmd.Env = append(os.Environ(), "CODEYARD_HOME="+srv.home)
	cmd.Stdin = strings.NewReader("correct horse battery\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("codeyard users create: %v\n%s", err, out)
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.WindowSize(1280, 900))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()

	// fail saves the page as it is and ends the test.
	fail := func(step string, err error) {
		t.Helper()
		sctx, c := context.WithTimeout(ctx, 5*time.Second)
		if buf, err := chromedp.Run(sctx, chromedp.FullScreenshot(100)); err == nil {
			os.WriteFile(filepath.Join(shots, "failed-"+strings.ReplaceAll(step, " ", "-")+".png"), buf, 0o644)
		}
		c()
		t.Fatalf("%s: %v", step, err)
	}
	run := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, c := context.WithTimeout(ctx, time.Minute)
		defer c()
		if err := chromedp.Do(sctx, actions...); err != nil {
			fail(step, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		sctx, c := context.WithTimeout(ctx, 10*time.Second)
		defer c()
		v, err := chromedp.Run(sctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			fail("text of "+sel, err)
		}
		return v
	}
	eval := func(expr string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
		if err != nil {
			fail("evaluate "+expr, err)
		}
		return v
	}
	shot := func(name string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			buf, err := chromedp.FullScreenshot(100)(ctx, tg)
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(shots, name+".png"), buf, 0o644)
		})
	}
	// Start the browser on a context without a deadline (see chromedp.Run).
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	id := func(s string) chromedp.ID { return chromedp.ID(s) }
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	xp := func(s string) chromedp.Search { return chromedp.Search(s) }
	// waitStatus waits for the build page to show a status, through the
	// reload that the build's end makes.
	waitStatus := func(want string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			sctx, c := context.WithTimeout(ctx, 2*time.Second)
			got, err := chromedp.Run(sctx, chromedp.Evaluate[string](`document.getElementById("status").textContent`))
			c()
			if err == nil && got == want {
				return
			}
			if time.Now().After(deadline) {
				fail("wait for "+want, fmt.Errorf("status %q (%v)", got, err))
			}
			time.Sleep(100 * time.Millisecond)
		}
	}

	// An unauthenticated browser at / lands on the sign-in page.
	run("open /", chromedp.Navigate(srv.endpoint+"/"), chromedp.WaitVisible(id("name")), shot("01-login"))
	run("wrong password",
		chromedp.SendKeys(css(`#name`), "tester"), chromedp.SendKeys(css(`#password`), "wrong"),
		chromedp.Click(css(`form button[type=submit]`)), chromedp.WaitVisible(id("login-error")))
	run("sign in",
		chromedp.SetValue(css(`#password`), "correct horse battery"),
		chromedp.Click(css(`form button[type=submit]`)), chromedp.WaitVisible(id("active-h")), shot("02-dashboard"))

	run("new project form",
		chromedp.Navigate(srv.endpoint+"/_codeyard/projects/new"), chromedp.WaitVisible(id("buildspec")),
		chromedp.SetValue(css(`#name`), "bad name!"),
		chromedp.Click(css(`form.card button[type=submit]`)), chromedp.WaitVisible(id("name-err")), shot("03-project-form-error"))
	run("create project",
		chromedp.SetValue(css(`#name`), "web-demo"),
		chromedp.SetValue(css(`#description`), "made in the browser"),
		chromedp.SetValue(css(`#buildspec`), webBuildspec),
		chromedp.Click(css(`form.card button[type=submit]`)), chromedp.WaitVisible(xp(`//h2[text()="Build history"]`)), shot("04-project"))

	// Start a build and see its lines arrive while the page stays.
	run("start build",
		chromedp.Click(css(`details.card summary`)), chromedp.WaitVisible(id("sourceVersion")),
		chromedp.Click(css(`form.start button[type=submit]`)), chromedp.WaitVisible(id("log")),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Evaluate[any](`window.stayed = true`)(ctx, tg)
			return err
		}))
	run("live log", chromedp.WaitVisible(id("L4")))
	status, stayed := text("#status"), eval(`String(window.stayed === true)`)
	run("screenshot live", shot("05-build-live"))
	if status != "IN_PROGRESS" || stayed != "true" {
		t.Errorf("while lines arrive: status %q, same page %s; want IN_PROGRESS on the same page", status, stayed)
	}
	// The build's end reloads the page with its final state.
	waitStatus("SUCCEEDED")
	run("build ended", chromedp.WaitVisible(id("L14")), shot("06-build-done"))
	pwned, red := eval(`String(window.pwned)`), text(".log .f1")
	line := eval(`document.querySelector(".log .f1").closest(".l").querySelector(".t").textContent`)
	if pwned != "undefined" || !strings.Contains(line, "<script>window.pwned=1</script>") || !strings.Contains(line, "<b>not bold</b>") || red != "red alert" {
		t.Errorf("log line in red: pwned=%s, text %q, red %q; want the markup shown as text, and red alert in red", pwned, line, red)
	}

	// The test report: the failure first, with its message.
	run("report", chromedp.Click(css(`.reports a`)), chromedp.WaitVisible(css(`table.cases`)), shot("07-report"))
	if row := text("table.cases tbody tr:first-child"); !strings.Contains(row, "FAILED") || !strings.Contains(row, "escapes") || !strings.Contains(row, "expected <b> as text") {
		t.Errorf("first test case row = %q, want the failed case with its message", row)
	}

	// Stop a build that waits.
	run("start slow build",
		chromedp.Navigate(srv.endpoint+"/_codeyard/projects/web-demo"), chromedp.Click(css(`details.card summary`)),
		chromedp.SetValue(css(`#env`), "PAUSE=60"),
		chromedp.Click(css(`form.start button[type=submit]`)), chromedp.WaitVisible(id("log")))
	run("stop build", chromedp.Click(xp(`//button[text()="Stop build"]`)))
	waitStatus("STOPPED")
	run("stopped", shot("08-build-stopped"))

	run("dashboard", chromedp.Navigate(srv.endpoint+"/_codeyard/"), chromedp.WaitVisible(id("recent-h")), shot("09-dashboard-builds"))
	run("projects", chromedp.Navigate(srv.endpoint+"/_codeyard/projects"), chromedp.WaitVisible(css(`table`)), shot("10-projects"))
	run("404", chromedp.Navigate(srv.endpoint+"/_codeyard/builds/web-demo:nope"), chromedp.WaitVisible(css(`.error`)), shot("11-not-found"))
	if h := text(".error h1"); h != "Not Found" {
		t.Errorf("missing build page says %q, want Not Found", h)
	}

	run("sign out", chromedp.Click(xp(`//button[text()="Sign out"]`)), chromedp.WaitVisible(id("name")),
		chromedp.Navigate(srv.endpoint+"/_codeyard/projects"), chromedp.WaitVisible(id("name")))
}
