# Native interop compiled once per run with Add-Type (C# 5: what Windows
# PowerShell 5.1 compiles). Only documented Win32 entry points:
#   advapi32 RegQueryInfoKeyW  - key last-write time (FILETIME)
#   advapi32 LsaOpenPolicy, LsaEnumerateAccountsWithUserRight, LsaAddAccountRights,
#            LsaRemoveAccountRights, LsaFreeMemory, LsaClose, LsaNtStatusToWinError
$script:NativeSource = @'
using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Runtime.InteropServices;
using System.Security.Principal;
using Microsoft.Win32.SafeHandles;

namespace NdesScep
{
    public static class RegInfo
    {
        [DllImport("advapi32.dll", CharSet = CharSet.Unicode, EntryPoint = "RegQueryInfoKeyW")]
        private static extern int RegQueryInfoKey(SafeRegistryHandle hKey, IntPtr lpClass, IntPtr lpcchClass,
            IntPtr lpReserved, IntPtr lpcSubKeys, IntPtr lpcbMaxSubKeyLen, IntPtr lpcbMaxClassLen,
            IntPtr lpcValues, IntPtr lpcbMaxValueNameLen, IntPtr lpcbMaxValueLen,
            IntPtr lpcbSecurityDescriptor, out long lpftLastWriteTime);

        public static DateTime LastWriteTimeUtc(SafeRegistryHandle key)
        {
            long fileTime;
            int rc = RegQueryInfoKey(key, IntPtr.Zero, IntPtr.Zero, IntPtr.Zero, IntPtr.Zero, IntPtr.Zero,
                IntPtr.Zero, IntPtr.Zero, IntPtr.Zero, IntPtr.Zero, IntPtr.Zero, out fileTime);
            if (rc != 0)
            {
                throw new Win32Exception(rc);
            }
            return DateTime.FromFileTimeUtc(fileTime);
        }
    }

    public static class Lsa
    {
        [StructLayout(LayoutKind.Sequential)]
        private struct LSA_UNICODE_STRING
        {
            public ushort Length;
            public ushort MaximumLength;
            public IntPtr Buffer;
        }

        [StructLayout(LayoutKind.Sequential)]
        private struct LSA_OBJECT_ATTRIBUTES
        {
            public int Length;
            public IntPtr RootDirectory;
            public IntPtr ObjectName;
            public uint Attributes;
            public IntPtr SecurityDescriptor;
            public IntPtr SecurityQualityOfService;
        }

        [DllImport("advapi32.dll")]
        private static extern uint LsaOpenPolicy(IntPtr SystemName, ref LSA_OBJECT_ATTRIBUTES ObjectAttributes,
            uint DesiredAccess, out IntPtr PolicyHandle);

        [DllImport("advapi32.dll")]
        private static extern uint LsaEnumerateAccountsWithUserRight(IntPtr PolicyHandle,
            ref LSA_UNICODE_STRING UserRight, out IntPtr Buffer, out uint CountReturned);

        [DllImport("advapi32.dll")]
        private static extern uint LsaAddAccountRights(IntPtr PolicyHandle, byte[] AccountSid,
            LSA_UNICODE_STRING[] UserRights, uint CountOfRights);

        [DllImport("advapi32.dll")]
        private static extern uint LsaRemoveAccountRights(IntPtr PolicyHandle, byte[] AccountSid,
            [MarshalAs(UnmanagedType.U1)] bool AllRights, LSA_UNICODE_STRING[] UserRights, uint CountOfRights);

        [DllImport("advapi32.dll")]
        private static extern uint LsaFreeMemory(IntPtr Buffer);

        [DllImport("advapi32.dll")]
        private static extern uint LsaClose(IntPtr ObjectHandle);

        [DllImport("advapi32.dll")]
        private static extern int LsaNtStatusToWinError(uint Status);

        private const uint POLICY_VIEW_LOCAL_INFORMATION = 0x00000001;
        private const uint POLICY_CREATE_ACCOUNT = 0x00000010;
        private const uint POLICY_LOOKUP_NAMES = 0x00000800;
        private const uint STATUS_NO_MORE_ENTRIES = 0x8000001A;
        private const uint STATUS_OBJECT_NAME_NOT_FOUND = 0xC0000034;

        private static IntPtr Open(uint access)
        {
            LSA_OBJECT_ATTRIBUTES attributes = new LSA_OBJECT_ATTRIBUTES();
            attributes.Length = Marshal.SizeOf(typeof(LSA_OBJECT_ATTRIBUTES));
            IntPtr handle;
            uint status = LsaOpenPolicy(IntPtr.Zero, ref attributes, access, out handle);
            if (status != 0)
            {
                throw new Win32Exception(LsaNtStatusToWinError(status));
            }
            return handle;
        }

        private static LSA_UNICODE_STRING Text(string value)
        {
            LSA_UNICODE_STRING text = new LSA_UNICODE_STRING();
            text.Buffer = Marshal.StringToHGlobalUni(value);
            text.Length = (ushort)(value.Length * 2);
            text.MaximumLength = (ushort)(value.Length * 2 + 2);
            return text;
        }

        // SIDs (S-1-...) holding the right; empty when nobody holds it.
        public static string[] Holders(string right)
        {
            IntPtr policy = Open(POLICY_VIEW_LOCAL_INFORMATION | POLICY_LOOKUP_NAMES);
            LSA_UNICODE_STRING text = Text(right);
            List<string> sids = new List<string>();
            try
            {
                IntPtr buffer;
                uint count;
                uint status = LsaEnumerateAccountsWithUserRight(policy, ref text, out buffer, out count);
                if (status == STATUS_NO_MORE_ENTRIES)
                {
                    return sids.ToArray();
                }
                if (status != 0)
                {
                    throw new Win32Exception(LsaNtStatusToWinError(status));
                }
                try
                {
                    for (int i = 0; i < count; i++)
                    {
                        IntPtr sid = Marshal.ReadIntPtr(buffer, i * IntPtr.Size);
                        sids.Add(new SecurityIdentifier(sid).Value);
                    }
                }
                finally
                {
                    LsaFreeMemory(buffer);
                }
            }
            finally
            {
                Marshal.FreeHGlobal(text.Buffer);
                LsaClose(policy);
            }
            return sids.ToArray();
        }

        private static byte[] SidBytes(string sid)
        {
            SecurityIdentifier identifier = new SecurityIdentifier(sid);
            byte[] bytes = new byte[identifier.BinaryLength];
            identifier.GetBinaryForm(bytes, 0);
            return bytes;
        }

        public static void Add(string sid, string right)
        {
            IntPtr policy = Open(POLICY_LOOKUP_NAMES | POLICY_CREATE_ACCOUNT);
            LSA_UNICODE_STRING[] rights = new LSA_UNICODE_STRING[] { Text(right) };
            try
            {
                uint status = LsaAddAccountRights(policy, SidBytes(sid), rights, 1);
                if (status != 0)
                {
                    throw new Win32Exception(LsaNtStatusToWinError(status));
                }
            }
            finally
            {
                Marshal.FreeHGlobal(rights[0].Buffer);
                LsaClose(policy);
            }
        }

        public static void Remove(string sid, string right)
        {
            IntPtr policy = Open(POLICY_LOOKUP_NAMES);
            LSA_UNICODE_STRING[] rights = new LSA_UNICODE_STRING[] { Text(right) };
            try
            {
                uint status = LsaRemoveAccountRights(policy, SidBytes(sid), false, rights, 1);
                if (status != 0 && status != STATUS_OBJECT_NAME_NOT_FOUND)
                {
                    throw new Win32Exception(LsaNtStatusToWinError(status));
                }
            }
            finally
            {
                Marshal.FreeHGlobal(rights[0].Buffer);
                LsaClose(policy);
            }
        }
    }
}
'@

function Initialize-AgentNative {
    # Compile the interop types once per PowerShell process.
    if ($null -eq ('NdesScep.Lsa' -as [type])) {
        Add-Type -TypeDefinition $script:NativeSource -Language CSharp
    }
}
