"""The provider's files and the case-management reports, for administrators."""

import io

from flask import abort, render_template, send_file

from portal.admin import bp
from portal.admin.access import admin_required
from portal.exports import find_export_file, list_export_files


@bp.get("/exports")
@admin_required
def exports():
    return render_template("admin/exports.html", files=list_export_files())


@bp.get("/exports/<int:file_id>")
@admin_required
def export_download(file_id: int):
    export_file = find_export_file(file_id)
    if export_file is None:
        abort(404)
    response = send_file(io.BytesIO(export_file.content.encode()), mimetype="text/csv", as_attachment=True,
                         download_name=export_file.filename)
    response.headers["Cache-Control"] = "no-store"  # names and emails: no copies in caches
    return response
