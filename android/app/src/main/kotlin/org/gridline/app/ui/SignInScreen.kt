// Sign-in: a citizen with a phone number and a texted code, or anonymously; staff with a login
// and password. Renders SignInState and sends SignInEvent; the rules and the server's refusals
// (wrong code, used-up code, too many attempts with the wait, wrong password, locked) are
// decided in org.gridline.app.presentation.
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
import androidx.compose.runtime.collectAsState
import androidx.compose.runtime.getValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.text.input.PasswordVisualTransformation
import androidx.compose.ui.unit.dp
import org.gridline.app.R
import org.gridline.app.presentation.SignInEvent
import org.gridline.app.presentation.SignInMode
import org.gridline.app.presentation.SignInViewModel

@Composable
fun SignInScreen(model: SignInViewModel) {
    val state by model.state.collectAsState()
    Column(Modifier.fillMaxWidth().padding(16.dp)) {
        Text(stringResource(R.string.signin_title), style = MaterialTheme.typography.headlineSmall)
        TabRow(selectedTabIndex = state.mode.ordinal) {
            Tab(
                selected = state.mode == SignInMode.CITIZEN,
                onClick = { model.onEvent(SignInEvent.ModeChosen(SignInMode.CITIZEN)) },
                text = { Text(stringResource(R.string.signin_citizen)) },
            )
            Tab(
                selected = state.mode == SignInMode.STAFF,
                onClick = { model.onEvent(SignInEvent.ModeChosen(SignInMode.STAFF)) },
                text = { Text(stringResource(R.string.signin_staff)) },
            )
        }
        when (state.mode) {
            SignInMode.CITIZEN -> {
                OutlinedTextField(
                    state.phone,
                    { model.onEvent(SignInEvent.PhoneChanged(it)) },
                    label = { Text(stringResource(R.string.signin_phone)) },
                    enabled = !state.codeSent,
                    keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Phone),
                    modifier = Modifier.fillMaxWidth(),
                )
                if (!state.codeSent) {
                    Button(onClick = { model.requestCode() }, enabled = state.canRequestCode) {
                        Text(stringResource(R.string.signin_send_code))
                    }
                } else {
                    OutlinedTextField(
                        state.code,
                        { model.onEvent(SignInEvent.CodeChanged(it)) },
                        label = { Text(stringResource(R.string.signin_code)) },
                        keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.NumberPassword),
                        modifier = Modifier.fillMaxWidth(),
                    )
                    Button(onClick = { model.signIn() }, enabled = state.canSignIn) { Text(stringResource(R.string.signin_submit)) }
                    TextButton(onClick = { model.onEvent(SignInEvent.ChangePhone) }) { Text(stringResource(R.string.signin_change_phone)) }
                }
                TextButton(onClick = { model.continueAnonymously() }, enabled = !state.busy) {
                    Text(stringResource(R.string.signin_anonymous))
                }
            }
            SignInMode.STAFF -> {
                OutlinedTextField(
                    state.login,
                    { model.onEvent(SignInEvent.LoginChanged(it)) },
                    label = { Text(stringResource(R.string.signin_login)) },
                    modifier = Modifier.fillMaxWidth(),
                )
                OutlinedTextField(
                    state.password,
                    { model.onEvent(SignInEvent.PasswordChanged(it)) },
                    label = { Text(stringResource(R.string.signin_password)) },
                    visualTransformation = PasswordVisualTransformation(),
                    keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Password),
                    modifier = Modifier.fillMaxWidth(),
                )
                Button(onClick = { model.signIn() }, enabled = state.canSignIn) { Text(stringResource(R.string.signin_submit)) }
            }
        }
        state.error?.let { Text(signInErrorText(it), color = MaterialTheme.colorScheme.error) }
        if (state.signedOutOffline) Text(stringResource(R.string.signin_signed_out_offline))
        if (state.busy) CircularProgressIndicator()
    }
}
