//! The sign-in screen: a phone number and a texted code, or on anonymously; or, switched to
//! staff, a login and a password (grid inspectors and handling units' field workers use the
//! same app). Shows the server's `attempts_left` after a wrong code and the wait it asks for
//! after too many; the anonymous account's secret goes to the platform's secure storage, so
//! the same account comes back after a reinstall or a sign-out. A staff password is never kept.
//! A one-time password from a reset signs in only together with a new password: the server says
//! so, and the screen then asks for one (`new_password_visible`).

use std::sync::{Arc, Mutex};

use super::observe::{ListenerHandle, Observers, lock};
use super::text::{self, Language};
use super::{Screen, Shared};
use crate::device::Error;

/// The key under which the anonymous account's secret is kept in secure storage.
pub const DEVICE_SECRET_KEY: &str = "gridline.device_secret";

/// What the sign-in screen shows.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SignInState {
    pub title: String,
    pub phone_label: String,
    pub phone: String,
    pub phone_error: Option<String>,
    pub request_code_label: String,
    pub request_code_enabled: bool,
    /// The code field shows once a code was sent.
    pub code_visible: bool,
    pub code_label: String,
    pub code: String,
    pub code_error: Option<String>,
    pub verify_label: String,
    pub verify_enabled: bool,
    pub anonymous_label: String,
    pub anonymous_enabled: bool,
    /// Tries left for the code sent, as the server said after a wrong one.
    pub attempts_left: Option<u32>,
    /// Seconds the server asked to wait, after too many attempts.
    pub wait_secs: Option<u32>,
    /// What happened, in words (sent, refused, offline).
    pub message: Option<String>,
    pub busy: bool,
    /// Signed in: the shell leaves this screen.
    pub signed_in: bool,
    /// The staff form (login and password) shows instead of the citizen's.
    pub staff_mode: bool,
    /// Switches between the citizen's and the staff form.
    pub switch_mode_label: String,
    pub login_label: String,
    pub login: String,
    pub login_error: Option<String>,
    pub password_label: String,
    pub password_error: Option<String>,
    pub staff_sign_in_label: String,
    pub staff_sign_in_enabled: bool,
    /// The password typed is a one-time password from a reset: the new one is asked for.
    pub new_password_visible: bool,
    pub new_password_label: String,
    pub new_password_error: Option<String>,
}

/// What the user did on the sign-in screen.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum SignInIntent {
    SetPhone {
        phone: String,
    },
    RequestCode,
    SetCode {
        code: String,
    },
    Verify,
    /// Back from the code to the number.
    ChangePhone,
    ContinueAnonymously,
    /// Show the staff form (`true`) or the citizen's.
    SetStaffMode {
        staff: bool,
    },
    SetLogin {
        login: String,
    },
    SetPassword {
        password: String,
    },
    /// The new password, when a one-time password must be exchanged for one.
    SetNewPassword {
        password: String,
    },
    /// Sign in as staff with the login and password typed (and the new password, when asked).
    SignInStaff,
}

/// Hears every [`SignInState`].
#[cfg_attr(feature = "uniffi", uniffi::export(with_foreign))]
pub trait SignInListener: Send + Sync {
    fn on_state(&self, state: SignInState);
}

#[derive(Default)]
struct Data {
    phone: String,
    code: String,
    code_sent: bool,
    phone_error: Option<String>,
    code_error: Option<String>,
    attempts_left: Option<u32>,
    wait_secs: Option<u32>,
    message: Option<String>,
    busy: bool,
    staff_mode: bool,
    login: String,
    password: String,
    login_error: Option<String>,
    password_error: Option<String>,
    new_password_needed: bool,
    new_password: String,
    new_password_error: Option<String>,
}

/// The sign-in screen's model.
#[cfg_attr(feature = "uniffi", derive(uniffi::Object))]
pub struct SignInModel {
    shared: Arc<Shared>,
    data: Mutex<Data>,
    observers: Arc<Observers<SignInState>>,
}

impl SignInModel {
    pub(crate) fn open(shared: Arc<Shared>) -> Arc<Self> {
        let model = Arc::new(Self { shared, data: Mutex::default(), observers: Arc::default() });
        model.shared.register(Arc::downgrade(&(model.clone() as Arc<dyn Screen>)));
        model
    }

    fn render(&self) -> SignInState {
        let lang = self.shared.language();
        let data = lock(&self.data);
        let signed_in = self.shared.device.account().ok().flatten().is_some();
        let idle = !data.busy;
        SignInState {
            title: lang.pick("登录", "Sign in"),
            phone_label: lang.pick("手机号码", "Mobile number"),
            phone: data.phone.clone(),
            phone_error: data.phone_error.clone(),
            request_code_label: if data.code_sent {
                lang.pick("重新发送验证码", "Send the code again")
            } else {
                lang.pick("获取验证码", "Send me a code")
            },
            request_code_enabled: idle && !data.phone.trim().is_empty(),
            code_visible: data.code_sent,
            code_label: lang.pick("短信验证码", "Code from the text message"),
            code: data.code.clone(),
            code_error: data.code_error.clone(),
            verify_label: lang.pick("登录", "Sign in"),
            verify_enabled: idle && data.code_sent && !data.code.trim().is_empty(),
            anonymous_label: lang.pick("匿名使用", "Continue without a number"),
            anonymous_enabled: idle,
            attempts_left: data.attempts_left,
            wait_secs: data.wait_secs,
            message: data.message.clone(),
            busy: data.busy,
            signed_in,
            staff_mode: data.staff_mode,
            switch_mode_label: if data.staff_mode {
                lang.pick("市民登录", "Sign in as a citizen")
            } else {
                lang.pick("工作人员登录", "Staff sign-in")
            },
            login_label: lang.pick("用户名", "Login"),
            login: data.login.clone(),
            login_error: data.login_error.clone(),
            password_label: lang.pick("密码", "Password"),
            password_error: data.password_error.clone(),
            staff_sign_in_label: lang.pick("登录", "Sign in"),
            staff_sign_in_enabled: idle
                && !data.login.trim().is_empty()
                && !data.password.is_empty()
                && (!data.new_password_needed || !data.new_password.is_empty()),
            new_password_visible: data.new_password_needed,
            new_password_label: lang.pick("新密码", "New password"),
            new_password_error: data.new_password_error.clone(),
        }
    }

    fn publish(&self) {
        self.observers.publish(&self.render());
    }

    /// Mark busy and redraw, so the buttons disable while the network call runs.
    fn begin(&self) {
        let mut data = lock(&self.data);
        data.busy = true;
        data.message = None;
        data.phone_error = None;
        data.code_error = None;
        data.login_error = None;
        data.password_error = None;
        data.new_password_error = None;
        data.wait_secs = None;
        drop(data);
        self.publish();
    }

    /// Put a failed call's error where the user looks for it.
    fn failed(&self, err: &Error, lang: Language) {
        let mut data = lock(&self.data);
        match err {
            Error::Refused { problem, .. } => {
                let words = text::refusal_words(&problem.code, problem.attempts_left, lang);
                data.attempts_left = problem.attempts_left.or(data.attempts_left);
                match problem.field.as_deref() {
                    Some("phone") => data.phone_error = Some(words),
                    Some("code") => data.code_error = Some(words),
                    Some("login") => data.login_error = Some(words),
                    Some("password") => data.password_error = Some(words),
                    Some("new_password") if problem.code == "password_change_required" => {
                        data.new_password_needed = true;
                        data.new_password_error = Some(words);
                    }
                    Some("new_password") => {
                        data.new_password_error = Some(lang.pick(
                            "这个新密码不能用：请换一个更长的、不同于一次性密码的密码",
                            "This new password cannot be used: choose a longer one, other than the one-time password",
                        ))
                    }
                    _ if problem.code.starts_with("otp_") => data.code_error = Some(words),
                    // A wrong login and a wrong password get one answer, under the password.
                    _ if problem.code == "invalid_credentials" => data.password_error = Some(words),
                    _ => data.message = Some(words),
                }
            }
            Error::Throttled { code, retry_after_secs } => {
                data.wait_secs = *retry_after_secs;
                if code == "otp_attempts_exhausted" {
                    data.attempts_left = Some(0);
                }
                data.message = Some(text::error_words(err, lang));
            }
            other => data.message = Some(text::error_words(other, lang)),
        }
    }
}

impl Screen for SignInModel {
    fn refresh(&self) {
        self.publish();
    }
}

#[cfg_attr(feature = "uniffi", uniffi::export)]
impl SignInModel {
    /// What the screen shows now.
    pub fn state(&self) -> SignInState {
        self.render()
    }

    /// Do what the user asked; blocks on the network for `RequestCode`, `Verify` and
    /// `ContinueAnonymously`.
    pub fn send(&self, intent: SignInIntent) {
        let lang = self.shared.language();
        let device = &self.shared.device;
        match intent {
            SignInIntent::SetPhone { phone } => {
                let mut data = lock(&self.data);
                data.phone = phone;
                data.phone_error = None;
            }
            SignInIntent::SetCode { code } => {
                let mut data = lock(&self.data);
                data.code = code;
                data.code_error = None;
            }
            SignInIntent::ChangePhone => {
                let mut data = lock(&self.data);
                data.code_sent = false;
                data.code.clear();
                data.attempts_left = None;
            }
            SignInIntent::RequestCode => {
                self.begin();
                let phone = lock(&self.data).phone.trim().to_owned();
                match device.request_code(&phone) {
                    Ok(()) => {
                        let mut data = lock(&self.data);
                        data.code_sent = true;
                        data.attempts_left = None;
                        data.message = Some(lang.pick("验证码已发送", "A code is on its way"));
                    }
                    Err(e) => self.failed(&e, lang),
                }
            }
            SignInIntent::Verify => {
                self.begin();
                let (phone, code) = {
                    let data = lock(&self.data);
                    (data.phone.trim().to_owned(), data.code.trim().to_owned())
                };
                if let Err(e) = device.sign_in_with_code(&phone, &code) {
                    self.failed(&e, lang);
                }
            }
            SignInIntent::SetStaffMode { staff } => {
                let mut data = lock(&self.data);
                data.staff_mode = staff;
                data.message = None;
            }
            SignInIntent::SetLogin { login } => {
                let mut data = lock(&self.data);
                data.login = login;
                data.login_error = None;
            }
            SignInIntent::SetPassword { password } => {
                let mut data = lock(&self.data);
                data.password = password;
                data.password_error = None;
            }
            SignInIntent::SetNewPassword { password } => {
                let mut data = lock(&self.data);
                data.new_password = password;
                data.new_password_error = None;
            }
            SignInIntent::SignInStaff => {
                self.begin();
                let (login, password, new_password) = {
                    let data = lock(&self.data);
                    let new_password = data.new_password_needed.then(|| data.new_password.clone());
                    (data.login.trim().to_owned(), data.password.clone(), new_password)
                };
                let result = match &new_password {
                    Some(new_password) => {
                        device.sign_in_staff_with_new_password(&login, &password, new_password)
                    }
                    None => device.sign_in_staff(&login, &password),
                };
                match result {
                    // The passwords are not kept past their use.
                    Ok(_) => {
                        let mut data = lock(&self.data);
                        data.password.clear();
                        data.new_password.clear();
                        data.new_password_needed = false;
                    }
                    Err(e) => self.failed(&e, lang),
                }
            }
            SignInIntent::ContinueAnonymously => {
                self.begin();
                let storage = &self.shared.secure_storage;
                let kept = storage.read(DEVICE_SECRET_KEY.to_owned());
                let mut result = device.sign_in_anonymously(kept.as_deref());
                if kept.is_some()
                    && matches!(&result, Err(Error::Refused { problem, .. }) if problem.status == 401 || problem.status == 404)
                {
                    // The kept account is gone on the server: start a new one.
                    storage.delete(DEVICE_SECRET_KEY.to_owned());
                    result = device.sign_in_anonymously(None);
                }
                match result {
                    Ok(signed_in) => {
                        if let Some(secret) = signed_in.device_secret {
                            storage.write(DEVICE_SECRET_KEY.to_owned(), secret);
                        }
                    }
                    Err(e) => self.failed(&e, lang),
                }
            }
        }
        lock(&self.data).busy = false;
        self.shared.set_pull_lists();
        self.shared.changed();
    }

    /// Hear the state now and after every change.
    pub fn subscribe(&self, listener: Arc<dyn SignInListener>) -> Arc<ListenerHandle> {
        Arc::new(self.observers.subscribe(self.render(), Arc::new(move |s| listener.on_state(s))))
    }
}
