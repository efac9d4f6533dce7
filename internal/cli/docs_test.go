package cli

import (
	"io"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// cliDoc is the command-line reference that must cover every command and flag.
const cliDoc = "../../docs/cli.md"

// docTree returns the command tree as users see it: cobra adds the help and completion
// commands and the --help flags only when it executes, so they are added here the same way.
func docTree() *cobra.Command {
	root := newRoot(IO{In: strings.NewReader(""), Out: io.Discard, Err: io.Discard, Env: map[string]string{}})
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	return root
}

// walk calls f on cmd and every visible command below it.
func walk(cmd *cobra.Command, f func(*cobra.Command)) {
	f(cmd)
	for _, c := range cmd.Commands() {
		if !c.Hidden {
			walk(c, f)
		}
	}
}

// TestCLIDocCoversCommandsAndFlags fails when a command or a flag is missing from docs/cli.md:
// each command must appear as "imagemake <path>" (e.g. "imagemake completion bash") and each
// flag as "`--name" (in code, e.g. "`--jobs N`").
func TestCLIDocCoversCommandsAndFlags(t *testing.T) {
	data, err := os.ReadFile(cliDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	walk(docTree(), func(c *cobra.Command) {
		c.InitDefaultHelpFlag()
		path := c.CommandPath()
		if c.HasParent() && !strings.Contains(doc, path) {
			t.Errorf("%s: command %q is not documented (no %q in %s)", cliDoc, c.Name(), path, cliDoc)
		}
		c.Flags().VisitAll(func(f *pflag.Flag) {
			if f.Hidden {
				return
			}
			if !strings.Contains(doc, "`--"+f.Name) {
				t.Errorf("%s: flag --%s of %q is not documented (no \"`--%s\")", cliDoc, f.Name, path, f.Name)
			}
			if f.Shorthand != "" && !strings.Contains(doc, "`-"+f.Shorthand+"`") {
				t.Errorf("%s: shorthand -%s of --%s (%q) is not documented (no \"`-%s`\")", cliDoc, f.Shorthand, f.Name, path, f.Shorthand)
			}
		})
	})
}

// docHeading is a section documenting a command: "## `imagemake build`".
var docHeading = regexp.MustCompile("(?m)^#{2,4} `(imagemake(?: [a-z][a-z0-9-]*)*)`")

// TestCLIDocDocumentsOnlyExistingCommands fails when docs/cli.md has a section for a command
// that does not exist (commands not implemented yet belong under "Not yet available").
func TestCLIDocDocumentsOnlyExistingCommands(t *testing.T) {
	data, err := os.ReadFile(cliDoc)
	if err != nil {
		t.Fatal(err)
	}
	exists := map[string]bool{}
	walk(docTree(), func(c *cobra.Command) { exists[c.CommandPath()] = true })
	matches := docHeading.FindAllStringSubmatch(string(data), -1)
	if len(matches) == 0 {
		t.Fatalf("%s: no command sections (## `imagemake ...`) found", cliDoc)
	}
	for _, m := range matches {
		if !exists[m[1]] {
			t.Errorf("%s: section for %q, which is not a command", cliDoc, m[1])
		}
	}
}
