"""Staff accounts, for administrators (list, create, disable and enable, role and areas, a new
password), and every staff member's own password. The rules and the audit rows are `portal.staff`'s."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_login import current_user, login_required, login_user

from portal.admin import bp
from portal.admin.access import admin_required
from portal.admin.staff_forms import (
    ROLE_HINTS,
    ROLE_NAMES,
    ButtonForm,
    NewStaffForm,
    OwnPasswordForm,
    PasswordResetForm,
    RoleAndAreasForm,
)
from portal.extensions import db
from portal.models import StaffRole, StaffUser
from portal.staff import (
    StaffAccountRefused,
    StaffExists,
    WeakPassword,
    change_own_password,
    create_staff_account,
    list_staff_accounts,
    reset_staff_password,
    set_staff_enabled,
    set_staff_role_and_areas,
)


def _account_or_404(staff_id: int) -> StaffUser:
    staff = db.session.get(StaffUser, staff_id)
    if staff is None:
        abort(404)
    return staff


def _page_names() -> dict:
    return {"role_names": ROLE_NAMES, "role_hints": ROLE_HINTS}


@bp.get("/staff")
@admin_required
def staff_accounts():
    return render_template("admin/staff_accounts.html", accounts=list_staff_accounts(), **_page_names())


@bp.route("/staff/new", methods=["GET", "POST"])
@admin_required
def new_staff_account():
    form = NewStaffForm()
    if form.validate_on_submit():
        try:
            staff = create_staff_account(current_user, email=form.email.data, password=form.password.data,
                                         role=StaffRole(form.role.data), areas=form.areas.data or [])
        except StaffExists:
            form.email.errors.append(gettext("There is already an account with this email address"))
        except (StaffAccountRefused, WeakPassword) as refused:
            form.areas.errors.append(str(refused))
        else:
            flash(gettext("Account made for %(email)s. Give them the first password by phone or in person, "
                          "never by email.", email=staff.email), "success")
            return redirect(url_for("admin.staff_accounts"), 303)
    status = 422 if form.errors else 200
    return render_template("admin/staff_new.html", form=form, **_page_names()), status


@bp.route("/staff/<int:staff_id>", methods=["GET", "POST"])
@admin_required
def staff_account(staff_id: int):
    """One account: its role and areas (the form), and the buttons to disable or enable it."""
    staff = _account_or_404(staff_id)
    form = RoleAndAreasForm(obj=staff)
    if form.validate_on_submit():
        try:
            changed = set_staff_role_and_areas(current_user, staff, role=StaffRole(form.role.data),
                                               areas=form.areas.data or [])
        except StaffAccountRefused as refused:
            form.role.errors.append(str(refused))
        else:
            flash(gettext("Saved. The account's open sessions ended: it signs in again with what it may see now.")
                  if changed else gettext("Nothing changed."), "success")
            return redirect(url_for("admin.staff_account", staff_id=staff.id), 303)
    status = 422 if form.errors else 200
    return render_template("admin/staff_account.html", staff=staff, form=form, button_form=ButtonForm(),
                           **_page_names()), status


@bp.post("/staff/<int:staff_id>/enabled")
@admin_required
def staff_account_enabled(staff_id: int):
    """Disable the account (its sessions end now) or enable it again: the button says which."""
    staff = _account_or_404(staff_id)
    form = ButtonForm()
    if not form.validate():
        flash(gettext("The form was incomplete. Nothing was changed: try again."), "error")
        return redirect(url_for("admin.staff_account", staff_id=staff.id))
    enable = not staff.is_enabled
    try:
        set_staff_enabled(current_user, staff, enabled=enable)
    except StaffAccountRefused as refused:
        flash(str(refused), "error")
    else:
        flash(gettext("%(email)s can sign in again.", email=staff.email) if enable else
              gettext("%(email)s is disabled and signed out everywhere.", email=staff.email), "success")
    return redirect(url_for("admin.staff_account", staff_id=staff.id), 303)


@bp.route("/staff/<int:staff_id>/password", methods=["GET", "POST"])
@admin_required
def staff_password_reset(staff_id: int):
    staff = _account_or_404(staff_id)
    form = PasswordResetForm(account_email=staff.email)
    if form.validate_on_submit():
        reset_staff_password(current_user, staff, form.password.data)
        if staff.id == current_user.id:
            login_user(staff)  # one's own reset ends one's other sessions, not this one
        flash(gettext("New password set for %(email)s; their open sessions ended. Give them the password by phone "
                      "or in person, never by email.", email=staff.email), "success")
        return redirect(url_for("admin.staff_account", staff_id=staff.id), 303)
    status = 422 if form.errors else 200
    return render_template("admin/staff_password_reset.html", staff=staff, form=form), status


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def own_password():
    staff = current_user._get_current_object()
    form = OwnPasswordForm(account_email=staff.email)
    if form.validate_on_submit():
        try:
            change_own_password(staff, current_password=form.current_password.data, new_password=form.password.data)
        except StaffAccountRefused as refused:
            form.current_password.errors.append(str(refused))
        except WeakPassword as weak:
            form.password.errors.append(str(weak))
        else:
            login_user(staff)  # the new session token: this session goes on, every other one ended
            flash(gettext("Your password is changed. You were signed out everywhere else."), "success")
            return redirect(url_for("admin.own_password"), 303)
    status = 422 if form.errors else 200
    return render_template("admin/own_password.html", form=form), status
