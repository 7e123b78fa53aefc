//! The workflow's names across the FFI: [`CaseState`], [`WorkflowAction`] and [`Role`] mirror
//! `gridline_core::workflow`, and [`available_actions`] asks core which steps a role may take
//! from a state, so the app shows only the buttons the server will accept.

use gridline_core::workflow as core;

/// Defines a fieldless enum that mirrors a core enum variant for variant, with conversions
/// both ways; the compiler checks that no variant is missing on either side.
macro_rules! mirror_enum {
    ($(#[$meta:meta])* $name:ident => $core:ty { $($(#[$vmeta:meta])* $variant:ident,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl From<$name> for $core {
            fn from(value: $name) -> Self {
                match value {
                    $($name::$variant => <$core>::$variant,)+
                }
            }
        }

        impl From<$core> for $name {
            fn from(value: $core) -> Self {
                match value {
                    $(<$core>::$variant => $name::$variant,)+
                }
            }
        }
    };
}

mirror_enum! {
    /// Where a case stands in the workflow.
    CaseState => core::CaseState {
        /// Filed by a citizen or an inspector, not yet looked at.
        Reported,
        /// Accepted as a case (立案).
        Registered,
        /// Not a case (not in scope, duplicate, nonsense).
        Rejected,
        /// Sent to a handling unit.
        Dispatched,
        /// The handling unit is working on it.
        InProgress,
        /// The handling unit says it is fixed; an inspector verifies on site.
        Handled,
        /// Verified and closed (结案).
        Closed,
        /// Put aside for long-term handling (挂账).
        Shelved,
        /// A duplicate, merged into another case.
        Merged,
    }
}

mirror_enum! {
    /// A workflow step on a case.
    WorkflowAction => core::Action {
        /// Accept a report as a case.
        Register,
        /// Refuse a report.
        Reject,
        /// Send to a handling unit (online only).
        Dispatch,
        /// The handling unit takes it on.
        Accept,
        /// The handling unit sends it back.
        SendBack,
        /// The handling unit reports it fixed, with photos.
        MarkHandled,
        /// The inspector confirms the fix on site, with a photo.
        VerifyPass,
        /// The inspector finds it not fixed, with a reason.
        VerifyFail,
        /// The inspector confirms a report on site (核实), with a photo and position.
        Confirm,
        /// The inspector finds nothing of a report on site, with a reason.
        Deny,
        /// The street office asks the cell's inspectors to confirm a report on site (核实派遣).
        RequestConfirm,
        /// A new deadline (online only).
        Extend,
        /// Put aside for long-term handling.
        Shelve,
        /// Bring back from long-term handling.
        Unshelve,
        /// Merge into another case (online only).
        Merge,
        /// Close the case.
        Close,
        /// Open a closed case again.
        Reopen,
        /// The reporter rates the handling, 1 to 5.
        Rate,
        /// The system marks it overdue.
        MarkOverdue,
        /// Escalate to the next level.
        Escalate,
        /// The hotline operator records the reporter's satisfaction (回访).
        CallBack,
        /// In emergency mode the system registers a report into the command queue (战时立案).
        CommandRegister,
        /// The hotline operator answers a consultation on the call and closes it.
        Answer,
        /// The hotline operator transfers the call elsewhere and closes it here.
        Transfer,
        /// The dispatched unit disputes the assignment, with a reason (派单异议).
        Dispute,
        /// The arbiter keeps the disputed assignment.
        Uphold,
        /// The arbiter sends the disputed case to another unit.
        Reassign,
        /// The system sends an undecided dispute to the district.
        EscalateDispute,
        /// The street office gives the case its place (online only).
        Relocate,
        /// The street office gives a handled case's verification to a named inspector (online only).
        AssignVerifier,
        /// The system closes a sensor case whose alarms all cleared, when the kind's rule says so.
        SensorClose,
    }
}

mirror_enum! {
    /// Who is acting.
    Role => core::Role {
        /// A member of the public.
        Citizen,
        /// A grid inspector (网格员) working their cells.
        Inspector,
        /// A street office dispatcher.
        Dispatcher,
        /// A handling unit's staff.
        Handler,
        /// A city administrator.
        Admin,
        /// A district administrator (区管理员): one district's command centre.
        DistrictAdmin,
        /// The system itself (deadlines).
        System,
        /// Read-only staff of an operations screen; takes no action.
        Viewer,
        /// A 12345 hotline operator: takes calls, calls reporters back.
        Operator,
    }
}

impl CaseState {
    /// Read a state name from the server (`reported`, `in_progress`, ...).
    pub(crate) fn parse(text: &str) -> Result<Self, crate::GridlineError> {
        Ok(text.parse::<core::CaseState>()?.into())
    }
}

/// The steps `role` may take on a case in `state`, by the same rules the server applies.
#[uniffi::export]
pub fn available_actions(state: CaseState, role: Role) -> Vec<WorkflowAction> {
    core::available_actions(state.into(), role.into()).into_iter().map(Into::into).collect()
}
