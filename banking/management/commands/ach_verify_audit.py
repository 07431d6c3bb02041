from typing import Any

from django.core.management.base import BaseCommand, CommandError

from banking.audit import audit_chain_verify


class Command(BaseCommand):
    help = "Verify the banking audit trail's hash chain; exits non-zero naming every altered or unlinked record."

    def handle(self, *args: Any, **options: Any) -> None:
        count, problems = audit_chain_verify()
        for problem in problems:
            self.stderr.write(f"record {problem.record_id}: {problem.problem}")
        if problems:
            raise CommandError(f"audit chain broken: {len(problems)} problem(s) in {count} records")
        self.stdout.write(self.style.SUCCESS(f"audit chain intact: {count} records"))
