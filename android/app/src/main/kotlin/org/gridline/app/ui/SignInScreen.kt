// Sign-in: a resident with a phone number and a texted code, or anonymously, drawn from the
// core's SignInState (labels, enabled buttons, errors in words, attempts left, the server's
// wait); staff with a login and password, and after a reset the new password the core asks for
// in exchange for the one-time password. Nothing is checked here: the core and the server do.
package org.gridline.app.ui

import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.material3.Button
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Tab
import androidx.compose.material3.TabRow
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableIntStateOf
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.text.input.PasswordVisualTransformation
import androidx.compose.ui.unit.dp
import org.gridline.app.R
import org.gridline.app.presentation.dispatch
import org.gridline.app.presentation.openSignIn
import org.gridline.app.presentation.states
import org.gridline.sdk.core.AppCore
import org.gridline.sdk.core.SignInIntent

@Composable
fun SignInScreen(app: AppCore) {
    var tab by rememberSaveable { mutableIntStateOf(0) }
    Column(Modifier.fillMaxWidth().padding(16.dp)) {
        TabRow(selectedTabIndex = tab) {
            Tab(selected = tab == 0, onClick = { tab = 0 }, text = { Text(stringResource(R.string.signin_citizen)) })
            Tab(selected = tab == 1, onClick = { tab = 1 }, text = { Text(stringResource(R.string.signin_staff)) })
        }
        if (tab == 0) ResidentSignIn(app) else StaffSignIn(app)
    }
}

@Composable
private fun ResidentSignIn(app: AppCore) {
    val model = rememberModel(app) { app.openSignIn() } ?: return CircularProgressIndicator()
    val state by drawn(model) { it.states() }
    val s = state ?: return CircularProgressIndicator()
    val sender = rememberSender()
    Text(s.title, style = MaterialTheme.typography.headlineSmall)
    OutlinedTextField(
        s.phone,
        { sender.send { model.dispatch(SignInIntent.SetPhone(it)) } },
        label = { Text(s.phoneLabel) },
        isError = s.phoneError != null,
        supportingText = s.phoneError?.let { { Text(it) } },
        keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Phone),
        enabled = !s.codeVisible,
    )
    if (!s.codeVisible) {
        Button(onClick = { sender.send { model.dispatch(SignInIntent.RequestCode) } }, enabled = s.requestCodeEnabled) {
            Text(s.requestCodeLabel)
        }
    } else {
        OutlinedTextField(
            s.code,
            { sender.send { model.dispatch(SignInIntent.SetCode(it)) } },
            label = { Text(s.codeLabel) },
            isError = s.codeError != null,
            supportingText = s.codeError?.let { { Text(it) } },
            keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.NumberPassword),
        )
        Button(onClick = { sender.send { model.dispatch(SignInIntent.Verify) } }, enabled = s.verifyEnabled) { Text(s.verifyLabel) }
        TextButton(onClick = { sender.send { model.dispatch(SignInIntent.ChangePhone) } }) {
            Text(stringResource(R.string.signin_change_phone))
        }
    }
    TextButton(onClick = { sender.send { model.dispatch(SignInIntent.ContinueAnonymously) } }, enabled = s.anonymousEnabled) {
        Text(s.anonymousLabel)
    }
    s.message?.let { Text(it, color = MaterialTheme.colorScheme.error) }
    if (s.busy) CircularProgressIndicator()
}

/**
 * Staff sign in, drawn from the core's sign-in model in its staff mode: the login, the password
 * (kept here only as typed: the core never shows a password back), and, when the password was a
 * one-time password from a reset, the new password the core then asks for.
 */
@Composable
private fun StaffSignIn(app: AppCore) {
    val model = rememberModel(app) { app.openSignIn() } ?: return CircularProgressIndicator()
    val state by drawn(model) { it.states() }
    val s = state ?: return CircularProgressIndicator()
    val sender = rememberSender()
    LaunchedEffect(model) { model.dispatch(SignInIntent.SetStaffMode(true)) }
    var password by remember { mutableStateOf("") }
    var newPassword by remember { mutableStateOf("") }
    OutlinedTextField(
        s.login,
        { sender.send { model.dispatch(SignInIntent.SetLogin(it)) } },
        label = { Text(s.loginLabel) },
        isError = s.loginError != null,
        supportingText = s.loginError?.let { { Text(it) } },
    )
    OutlinedTextField(
        password,
        { typed -> password = typed; sender.send { model.dispatch(SignInIntent.SetPassword(typed)) } },
        label = { Text(s.passwordLabel) },
        visualTransformation = PasswordVisualTransformation(),
        isError = s.passwordError != null,
        supportingText = s.passwordError?.let { { Text(it) } },
    )
    if (s.newPasswordVisible) {
        OutlinedTextField(
            newPassword,
            { typed -> newPassword = typed; sender.send { model.dispatch(SignInIntent.SetNewPassword(typed)) } },
            label = { Text(s.newPasswordLabel) },
            visualTransformation = PasswordVisualTransformation(),
            isError = s.newPasswordError != null,
            supportingText = s.newPasswordError?.let { { Text(it) } },
        )
    }
    Button(onClick = { sender.send { model.dispatch(SignInIntent.SignInStaff) } }, enabled = s.staffSignInEnabled) {
        Text(s.staffSignInLabel)
    }
    s.message?.let { Text(it, color = MaterialTheme.colorScheme.error) }
    if (s.busy) CircularProgressIndicator()
}
