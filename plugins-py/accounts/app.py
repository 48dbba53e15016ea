"""The accounts app in Python: the course's register-and-login exercise on gale's account
store, with the same routes and answers as plugins/accounts. Its pages are Tornado templates
(`templates/`): HTML forms with an xsrf field; the host hashes the passwords and keeps the
sessions."""

import os

import tornado.web

from gale.web import AccountError

BAD_CREDENTIALS = "Wrong account or password."
HOME = "/me"


class BaseHandler(tornado.web.RequestHandler):
    """The account form, shared by the handlers."""

    def form(self, title, action, message="", next_url=None):
        self.render("form.html", title=title, action=action, message=message,
                    next_url=next_url)

    def credentials(self):
        """The posted account and password exactly as typed: the store refuses a name with
        surrounding spaces rather than silently changing it."""
        return (self.get_body_argument("account", strip=False),
                self.get_body_argument("password", strip=False))


class RegisterHandler(BaseHandler):
    """`/register`: 201 when registered, 409 when taken, 400 when not acceptable."""

    def get(self):
        self.form("Register", "/register")

    def post(self):
        account, password = self.credentials()
        try:
            user = self.register(account, password)
        except AccountError as error:
            if error.kind not in ("taken", "invalid"):
                raise
            self.set_status(error.status_code)
            message = ("That account name is taken." if error.kind == "taken"
                       else error.why[:1].upper() + error.why[1:] + ".")
            self.form("Register", "/register", message)
            return
        self.set_status(201)
        self.render("registered.html", title="Registered", account=user.account)


def is_local_path(next_url):
    r"""Whether `next_url` is a path on this site: an open redirect would make a phishing
    link. A browser ignores tabs and line breaks anywhere in a URL (`/\t/evil.com` is
    `//evil.com`, another site) and reads a backslash as `/`: a path with either, or
    starting `//`, is not local."""
    return (next_url.startswith("/") and not next_url.startswith("//")
            and "\\" not in next_url
            and not any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in next_url))


class LoginHandler(BaseHandler):
    """`/login`: a good pair starts a session and goes to `next` (a path on this site) or
    `/me`; anything else is 401 with one message."""

    def show(self, message=""):
        self.form("Log in", "/login", message, self.get_argument("next", HOME))

    def get(self):
        self.show()

    def post(self):
        account, password = self.credentials()
        try:
            self.login(account, password)
        except AccountError as error:
            if error.kind not in ("bad_credentials", "invalid"):
                raise
            self.set_status(401)
            self.show(BAD_CREDENTIALS)
            return
        next_url = self.get_argument("next", HOME)
        self.redirect(next_url if is_local_path(next_url) else HOME)


class MeHandler(BaseHandler):
    """`/me`: the logged-in account and its uuid."""

    @tornado.web.authenticated
    def get(self):
        self.render("me.html", title="Me")


class LogoutHandler(BaseHandler):
    """`/logout` (POST): ends the session, then back to the login page."""

    def post(self):
        self.logout()
        self.redirect("/login")


application = tornado.web.Application([
    tornado.web.url(r"/register", RegisterHandler, name="register"),
    tornado.web.url(r"/login", LoginHandler, name="login"),
    tornado.web.url(r"/me", MeHandler, name="me"),
    tornado.web.url(r"/logout", LogoutHandler, name="logout"),
], xsrf_cookies=True, login_url="/login",
    template_path=os.path.join(os.path.dirname(__file__), "templates"))
