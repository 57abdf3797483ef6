"""The course's configuration: the one file an instructor edits.

It is read two ways, so that there is no second file to keep in sync:

- by ``graders`` (``graders/course/config.py`` imports it): the TP list, the 0/1/2 policy, paths;
- by nbgrader itself, as its configuration file: the CLI takes it with
  ``--JupyterApp.config_file=course_config.py`` and ``graders`` loads the same ``c``.
  (Do not add an ``nbgrader_config.py``: nbgrader would load it too, and it would win.)

Every setting is documented where it is defined. Times are wall-clock times in the time
zone given with them.
"""
from datetime import timedelta

# ----------------------------------------------------------------------------------
# The course
# ----------------------------------------------------------------------------------

#: nbgrader's course id (stored in the gradebook, shown in feedback).
COURSE_ID = "dl-course"

#: Time zone of every due date below (an IANA name).
TIME_ZONE = "Europe/Paris"

#: The practicals, in course order.
#:   id        nbgrader's assignment id: the folder name under source/ and release/
#:   title     shown in feedback and in the grade table
#:   due       deadline, "YYYY-MM-DD HH:MM" in TIME_ZONE (the end of the class)
#:   cell_timeout  seconds one cell may run under grading before it is interrupted
#:   notebook_timeout  seconds the whole notebook may take under grading
TPS = [
    dict(id="TP1_micrograd", title="micrograd: autograd and an MLP from scratch",
         due="2026-09-15 18:00", cell_timeout=15, notebook_timeout=300),
    dict(id="TP2_makemore", title="makemore: bigrams, NLL and the Bengio MLP",
         due="2026-09-22 18:00", cell_timeout=60, notebook_timeout=300),
    dict(id="TP3_mnist", title="tensors and training on MNIST",
         due="2026-09-29 18:00", cell_timeout=60, notebook_timeout=300),
    dict(id="TP4_gpt", title="a GPT from scratch on tiny Shakespeare",
         due="2026-10-06 18:00", cell_timeout=60, notebook_timeout=300),
    dict(id="TP5_convnets", title="convnets on CIFAR-10",
         due="2026-10-13 18:00", cell_timeout=60, notebook_timeout=300),
    dict(id="TP6_generative", title="VAE and diffusion from scratch",
         due="2026-10-20 18:00", cell_timeout=60, notebook_timeout=300),
]

#: The class list: every student who should hand something in. Students found in
#: submitted/ but not listed here are graded too (and flagged in the table).
STUDENTS = []

# ----------------------------------------------------------------------------------
# The 0/1/2 scale (docs/design.md §5)
# ----------------------------------------------------------------------------------

#: Fraction of a TP's autograded points for a 1 ("a decent notebook").
DECENT_FRACTION = 0.5

#: Fraction of a TP's autograded points for a 2 ("all answers found, or nearly").
COMPLETE_FRACTION = 0.9

#: A submission stamped later than due + GRACE is late, and late gets 0.
GRACE = timedelta(minutes=15)

#: What a student's feedback shows of a failed hidden test: "always" its assertion's
#: message (what it checked, on which input, expected and got; never the test's source),
#: "after_due" only on pages written after the TP's due time + GRACE (until then, as
#: "never"), "never" only "a hidden test failed". `make check` shows visible tests only.
HIDDEN_TEST_MESSAGES = "always"

#: Weight of the TPs in the final course mark (the quiz has the rest), and the scale
#: of that mark: the exported "tp_mark" is the TPs' share of a mark out of FINAL_SCALE.
TP_WEIGHT = 0.5
FINAL_SCALE = 20

# ----------------------------------------------------------------------------------
# The grading sandbox (graders/grading/sandbox.py): limits of each student's kernel
# ----------------------------------------------------------------------------------

#: Run each kernel isolated (bubblewrap, cgroups, rlimits: whatever the machine allows).
SANDBOX = True

#: Memory the kernel may use; past it, the kernel is killed and the rest of the
#: notebook scores 0.
KERNEL_MEMORY_MB = 4096

#: Processes (threads included) the kernel may run at once: stops fork bombs.
KERNEL_MAX_PROCESSES = 256

#: Largest file the kernel may write.
KERNEL_MAX_FILE_MB = 512

#: Output kept per cell; a cell printing more is truncated (not failed).
MAX_OUTPUT_BYTES = 2_000_000

#: What a hand-in may be, as read by the grader (graders/course/handin.py), outside the sandbox.
#: A notebook larger than this is "not a readable notebook" (a TP notebook without outputs
#: is under 1 MB; saved outputs and pictures add a few MB).
HANDIN_MAX_NOTEBOOK_MB = 50

#: Largest metadata file of a hand-in that is read (timestamp.txt: about 30 bytes).
HANDIN_MAX_METADATA_BYTES = 4096

#: Most files and folders a hand-in folder may hold; more is refused, unread.
HANDIN_MAX_ENTRIES = 10_000

# ----------------------------------------------------------------------------------
# The students' kit (make student-kit, graders/student/kit.py)
# ----------------------------------------------------------------------------------

#: The students' GitHub repository, where the kit is published (e.g. the GitHub Classroom
#: template): "https://github.com/<org>/<repo>" or "<org>/<repo>". The kit's README links
#: each notebook to https://colab.research.google.com/github/<org>/<repo>/blob/main/<TP>/<nb>.ipynb.
#: Empty: no Colab links (make student-kit says so).
STUDENT_REPO_URL = ""

#: How students hand a TP in, as the kit's README says it (Markdown). Empty: "commit and
#: push your notebook to your repository before the due time".
STUDENT_HAND_IN = ""

# ----------------------------------------------------------------------------------
# The TPs' data files, for a notebook opened alone (graders/course/datafiles.py, make data-cells)
# ----------------------------------------------------------------------------------

#: Where the TPs' files are published, each at DATA_URL/<TP folder>/<path>, for a notebook
#: opened without them (on Colab): its data cell downloads them once, checks their SHA-256
#: and caches them. Empty: the raw files of STUDENT_REPO_URL's main branch (the students'
#: kit holds every released TP folder). Both empty: a notebook finds its files next to it
#: only, and says which to put there. After a change: `make data-cells`, `make release`.
DATA_URL = ""

#: Other places a file is published (tried after DATA_URL), by "<TP folder>/<path>".
DATA_UPSTREAM = {
    "TP3_mnist/data/mnist/t10k-images-idx3-ubyte.gz":
        "https://ossci-datasets.s3.amazonaws.com/mnist/t10k-images-idx3-ubyte.gz",
    "TP3_mnist/data/mnist/t10k-labels-idx1-ubyte.gz":
        "https://ossci-datasets.s3.amazonaws.com/mnist/t10k-labels-idx1-ubyte.gz",
    "TP6_generative/data/mnist/t10k-images-idx3-ubyte.gz":
        "https://ossci-datasets.s3.amazonaws.com/mnist/t10k-images-idx3-ubyte.gz",
    "TP6_generative/data/mnist/t10k-labels-idx1-ubyte.gz":
        "https://ossci-datasets.s3.amazonaws.com/mnist/t10k-labels-idx1-ubyte.gz",
    "TP4_gpt/input.txt":
        "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt",
}

# ----------------------------------------------------------------------------------
# The class report (make report): similar answers (graders/instructor/similarity.py)
# ----------------------------------------------------------------------------------

#: Pairs of students whose answers are at least this similar are listed in the report.
#: Score: the larger of the two shares of one student's answers (solution cells, the
#: release's own code removed) found in the other's; 1.0 = the same code up to names,
#: spacing and comments. Evidence for a person to judge, never a grade change.
SIMILARITY_THRESHOLD = 0.5

#: Shortest matching passage counted, in characters of the name-blind token text
#: (copydetect's noise threshold k): shorter common idioms are no evidence.
SIMILARITY_NOISE = 25

#: Winnowing window; 1 keeps every k-gram, so every match of SIMILARITY_NOISE characters
#: is found and scores are reproducible (larger windows vary with Python's string hashing).
SIMILARITY_WINDOW = 1

#: At most this many pairs per TP in the report, most similar first.
SIMILARITY_TOP = 20

# ----------------------------------------------------------------------------------
# Export to the school's LMS (make export FORMAT=moodle|canvas|csv, graders/instructor/lms.py)
# ----------------------------------------------------------------------------------

#: What the student ids here are in the LMS: "username" (Moodle username; Canvas SIS
#: Login ID), "email" (Moodle email; Canvas SIS Login ID), "idnumber" (Moodle ID number;
#: Canvas SIS User ID).
LMS_STUDENT_ID = "username"

#: With LMS_STUDENT_ID = "email": the domain appended to an id without "@".
LMS_EMAIL_DOMAIN = ""

#: TP id -> the LMS's column name, e.g. {"TP1_micrograd": "TP1 micrograd (4211)"} (Canvas
#: matches "Title (assignment id)", else the title, else creates an assignment).
LMS_COLUMNS = {}

# ----------------------------------------------------------------------------------
# Paths (relative to the repository root)
# ----------------------------------------------------------------------------------

#: Instructor overrides: a CSV with columns student,tp,grade,reason. Their grade wins
#: over the computed one and is marked as an override in grades.csv.
OVERRIDES_CSV = "overrides.csv"

#: The exported table.
GRADES_CSV = "grades.csv"

#: One JSON result per graded submission: results/<student>/<TP>.json.
RESULTS_DIRECTORY = "results"

# ----------------------------------------------------------------------------------
# nbgrader's own configuration
# ----------------------------------------------------------------------------------
try:
    c = get_config()  # noqa: F821 -- defined when nbgrader (traitlets) loads this file
except NameError:  # imported as a module by graders/
    from traitlets.config import Config

    c = Config()

c.CourseDirectory.course_id = COURSE_ID
# Autograde: warnings and progress bars write to stderr, and nbgrader gives a test cell
# with any stderr output 0 points; drop such outputs before scoring (docs/design.md §7).
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"Warning|warn\(|it/s\]|s/it\]|\d+%\|"
# A deleted test cell comes back from the gradebook, so it still counts (as a fail).
c.OverwriteCells.add_missing_cells = True
# An infinite loop is interrupted after the TP's cell_timeout (graders sets it per TP);
# the notebook goes on with the next cell.
c.Execute.interrupt_on_timeout = True
c.Execute.timeout = 30
# Output bombs: keep at most this many lines per output in the autograded notebook.
c.LimitOutput.max_lines = 200
c.LimitOutput.max_traceback = 100
