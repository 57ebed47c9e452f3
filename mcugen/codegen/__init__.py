"""Stage 5: C code generation from the Jinja templates in templates/."""
from .project import GeneratedProject, generate
from .writer import write_project

__all__ = ["GeneratedProject", "generate", "write_project"]
