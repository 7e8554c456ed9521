# The agent writes only inside /workspace: any other path, a path with "..", or no path at all.
package workspace

import rego.v1

# A call to a function with an undefined argument is itself undefined in Rego, and `not` of it is
# not true: a missing path is caught by the bare reference.
outside if not input.args.path

outside if not is_string(input.args.path)

outside if not startswith(input.args.path, "/workspace/")

outside if contains(input.args.path, "..")

decision := {"effect": "deny", "rule": "files-only-in-workspace", "reason": "The agent writes only inside /workspace"} if {
	input.tool == "write_file"
	outside
}
